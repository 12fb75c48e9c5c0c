from django.urls import path

from casebridge.sprints.views import backlog, board, lifecycle, planning

app_name = "sprints"

urlpatterns = [
    path("", backlog.index, name="index"),
    path("estimate/", backlog.estimate, name="estimate"),
    path("<int:pk>/", board.board, name="board"),
    path("<int:pk>/close/", board.close, name="close"),
    path("<int:pk>/start/", lifecycle.start, name="start"),
    path("<int:pk>/edit/", lifecycle.edit, name="edit"),
    path("<slug:team>/backlog/", backlog.backlog, name="backlog"),
    path("<slug:team>/backlog/export.csv", backlog.backlog_export, name="backlog_export"),
    path("<slug:team>/backlog/move/", backlog.move, name="move"),
    path("<slug:team>/backlog/unpin/", backlog.unpin, name="unpin"),
    path("<slug:team>/plan/", planning.plan, name="plan"),
    path("<slug:team>/plan/accept/", planning.accept, name="accept"),
    path("<slug:team>/sprints/new/", lifecycle.create, name="create"),
    path("<slug:team>/velocity/", board.velocity, name="velocity"),
    path("<slug:team>/velocity/export.csv", board.velocity_export, name="velocity_export"),
]
