from django.db import models
from django.urls import reverse


class Row(models.Model):
    """A few columns of psp's evidence table, read only (psp's migrations own it)."""

    apprentice_id = models.BigIntegerField()
    title = models.CharField(max_length=200)
    activity_date = models.DateField()
    status = models.CharField(max_length=20)

    objects = models.Manager()

    class Meta:
        managed = False
        db_table = "apprentices_evidence"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("row_detail", args=[self.pk])
