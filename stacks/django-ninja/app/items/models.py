from django.db import models


class Item(models.Model):
    """The shared `items` table (built by stacks/common/seed.py, not by migrations)."""

    name = models.TextField()
    description = models.TextField()
    price = models.FloatField()
    quantity = models.IntegerField()

    class Meta:
        db_table = "items"
        managed = False
        ordering = ["id"]
