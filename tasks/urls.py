"""URLs of the tasks app: my tasks, the board and its data, a task, a report, files, a unit."""

from django.urls import path, register_converter

from tasks import views


class TasksFormatConverter:
    regex = "json|csv"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(TasksFormatConverter, "tasks_fmt")

app_name = "tasks"

urlpatterns = [
    path("tasks/", views.index, name="index"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/units/<int:unit_id>/<str:period>/", views.report, name="report"),
    path("tasks/reports/<int:report_id>/review/", views.report_review, name="review"),
    path("tasks/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path(
        "tasks/attachments/<int:attachment_id>/delete/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("plans/<int:plan_id>/tasks/", views.board, name="board"),
    path("plans/<int:plan_id>/tasks.<tasks_fmt:fmt>", views.board_data, name="board_data"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
]
