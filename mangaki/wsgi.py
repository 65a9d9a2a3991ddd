import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from mangaki.heap import freeze_long_lived

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mangaki.settings")
application = get_wsgi_application()
len(get_resolver().url_patterns)  # import every view now, not in the first request
freeze_long_lived()  # and keep Django's own objects out of later collections
