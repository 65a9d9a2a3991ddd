import os

from django.core.wsgi import get_wsgi_application

from mangaki.env import env_bool
from mangaki.heap import freeze_long_lived

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
application = get_wsgi_application()
import mangaki.urls  # noqa: E402, F401  every view imported now, not in the first request
from mangaki.views.cards import warm_templates  # noqa: E402
from recommender.facade import warm_up  # noqa: E402

# The model is read and its kernels compiled now, not by the first visitor's request
# (MANGAKI_WARM_UP=0 turns it off, to measure the difference: benchmarks/first_request.py).
if env_bool("MANGAKI_WARM_UP", True):
    warm_up()
    warm_templates()
freeze_long_lived()  # and Django's own objects kept out of later collections
