from django.urls import path

from plumbline.scoring import views

urlpatterns = [
    path("contacts/<int:pk>/score-panel/", views.contact_score_panel, name="scoring_contact_panel"),
    path("scoring/model/", views.model_page, name="scoring_model"),
    path("scoring/model/train/", views.train_page, name="scoring_model_train"),
    path("scoring/model/<int:number>/activate/", views.activate_page, name="scoring_model_activate"),
]
