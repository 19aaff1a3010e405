from django.urls import path

from indicators import views

app_name = "indicators"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("entry/", views.entry, name="entry"),
    path("review/", views.review_queue_page, name="review_queue"),
    path("review/<str:code>/<str:period>/", views.review, name="review"),
]
