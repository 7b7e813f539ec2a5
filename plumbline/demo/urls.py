"""The demo company's website (plumbline.demo.views), under /demo-site/."""

from django.urls import path

from plumbline.demo import views

urlpatterns = [
    path("demo-site/", views.home, name="demo_site_home"),
    path("demo-site/product/", views.product, name="demo_site_product"),
    path("demo-site/pricing/", views.pricing, name="demo_site_pricing"),
    path("demo-site/blog/one-scoreboard/", views.post, name="demo_site_post"),
]
