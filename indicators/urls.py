from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.overview, name="overview"),
]
