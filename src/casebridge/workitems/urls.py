from django.urls import path

from casebridge.workitems import views

app_name = "workitems"

urlpatterns = [
    path("", views.work_item_list, name="list"),
    path("export.csv", views.work_item_export, name="export"),
    path("board/", views.board_home, name="boards"),
    path("board/<slug:category>/", views.board, name="board"),
    path("queues/<slug:slug>/", views.queue, name="queue"),
    path("queues/<slug:slug>/export.csv", views.queue_export, name="queue_export"),
    path("lookup/", views.lookup, name="lookup"),
    path("<str:key>/", views.work_item_detail, name="detail"),
    path("<str:key>/actions/<slug:action>/", views.work_item_act, name="act"),
    path("<str:key>/comments/", views.comment_create, name="comment"),
    path("<str:key>/link/", views.link_set, name="link"),
]
