import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = get_wsgi_application()

# What is loaded by now (Django, the apps and their modules: ~105,000 objects the collector tracks)
# lives as long as the process. Frozen, it is left out of every collection: a full one scans only
# what requests created since. Otherwise each full collection walked all of it, ~70 ms on the
# benchmark machine, while every request queued on that worker waited (docs/benchmarks.md).
gc.freeze()
