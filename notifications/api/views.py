from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import domain_validation_errors
from notifications import selectors, services
from notifications.models import InboxItem

TAG = ["notifications"]


class InboxItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InboxItem
        fields = ["id", "kind", "title", "body", "created_at", "read_at"]
        read_only_fields = fields


@extend_schema(tags=TAG)
@domain_validation_errors({"page_size": ["invalid"]}, methods=["get"])
class InboxListView(ListAPIView):
    serializer_class = InboxItemSerializer

    def get_queryset(self):
        return selectors.inbox_for_user(user=self.request.user)


class InboxReadView(APIView):
    @extend_schema(tags=TAG, request=None, responses={200: InboxItemSerializer})
    def post(self, request, pk: int):
        item = get_object_or_404(selectors.inbox_for_user(user=request.user), pk=pk)
        return Response(InboxItemSerializer(services.inbox_mark_read(item=item)).data)
