from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "plumbline.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Imported here, not at the top: both modules load models, which exist only once the apps are ready.
        from plumbline.accounts.actions import user_for_token
        from plumbline.core.idempotency import set_token_user

        set_token_user(user_for_token)  # Idempotency-Key belongs to the token's user
