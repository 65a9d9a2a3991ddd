"""Files kept in the database (``FILE_STORAGE=database``): model files, tag heads and
posters, readable from every host that reaches PostgreSQL. Content is split in chunks so
neither a write nor a read holds a whole model file in memory."""

from django.db import models


class StoredFile(models.Model):
    # The storage's own prefix ("media/", "models/") comes first: one table, several storages.
    name = models.CharField(max_length=500, unique=True)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    modified = models.DateTimeField()

    class Meta:
        verbose_name = "stored file"

    def __str__(self) -> str:
        return self.name


class StoredChunk(models.Model):
    file = models.ForeignKey(StoredFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="stored_chunk_file_index")
        ]

    def __str__(self) -> str:
        return f"{self.file_id}#{self.index}"
