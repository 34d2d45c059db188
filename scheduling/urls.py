from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("staff/book/", views.book, name="book"),
    path("staff/patients/register/", views.register_patient, name="register"),
    path("staff/closed-days/", views.closed_days, name="closed-days"),
    path("staff/day/", views.day_jump, name="day-jump"),
    path("staff/day/<str:day>/", views.day, name="day"),
    path("staff/board/", views.board, name="board"),
    path("staff/board/sessions/<int:pk>/<str:step>/", views.board_step, name="board-step"),
    path("staff/week/", views.week_jump, name="week-jump"),
    path("staff/week/<str:day>/", views.week, name="week"),
    path("staff/sessions/<int:pk>/", views.session_detail, name="session"),
    path("staff/sessions/<int:pk>/cancel/", views.session_cancel, name="session-cancel"),
    path("staff/sessions/<int:pk>/reschedule/", views.session_reschedule, name="session-reschedule"),
    path("staff/sessions/<int:pk>/mark/", views.session_mark, name="session-mark"),
    path("staff/courses/<int:pk>/", views.course_detail, name="course"),
    path("staff/courses/<int:pk>/cancel-rest/", views.course_cancel_rest, name="course-cancel-rest"),
    path("me/sessions/<int:pk>/", views.my_session, name="my-session"),
    path("me/calendar.ics", views.my_calendar, name="my-calendar"),
    path("me/courses/<int:pk>/calendar.ics", views.course_ics, name="course-ics"),
    path("me/calendar/subscription/", views.subscription_new, name="subscription-new"),
    path("me/calendar/subscription/stop/", views.subscription_stop, name="subscription-stop"),
    # Addresses made for one course before they covered every course; they work until stopped.
    path("me/courses/<int:pk>/subscription/stop/", views.course_subscription_stop, name="course-subscription-stop"),
    path("calendar/<str:token>.ics", views.subscription_feed, name="subscription-feed"),
]
