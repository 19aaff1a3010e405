"""URLs of the work app: the to-do home."""

from django.urls import path

from work import views

app_name = "work"

urlpatterns = [
    path("home/", views.home, name="home"),
    path("home/<slug:kind>/", views.todo_list, name="list"),
]
