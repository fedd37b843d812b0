from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from contributions import selectors, services
from core.api.schema import domain_validation_errors
from contributions.api.serializers import IncomeLevelSerializer, QuoteInputSerializer, QuoteSerializer


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class IncomeLevelListView(PublicView):
    @extend_schema(tags=["reference"], responses={200: IncomeLevelSerializer(many=True)}, auth=[])
    def get(self, request):
        return Response(IncomeLevelSerializer(selectors.income_levels_with_normal_rates(), many=True).data)


@domain_validation_errors(
    {
        "months": ["months_not_allowed"],
        "start_month": ["month_invalid"],
        "occupation": ["occupation_invalid"],
        "income_level": ["income_level_invalid"],
        "programmes": ["programmes_invalid"],
        None: ["rate_unavailable"],
    }
)
class QuoteView(PublicView):
    @extend_schema(tags=["contributions"], request=QuoteInputSerializer, responses={200: QuoteSerializer}, auth=[])
    def post(self, request):
        data = QuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prices = services.quote_months(**data.validated_data)
        return Response({"months": [p.as_dict() for p in prices], "total": sum(p.total for p in prices)})
