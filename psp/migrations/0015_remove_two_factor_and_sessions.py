"""psp's own two-factor devices, recovery codes and session list give way to django-allauth's
mfa.Authenticator and usersessions.UserSession (0014 copied the devices)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("psp", "0014_two_factor_to_allauth"),
    ]

    operations = [
        migrations.DeleteModel(name="RecoveryCode"),
        migrations.DeleteModel(name="TwoFactorDevice"),
        migrations.DeleteModel(name="UserSession"),
    ]
