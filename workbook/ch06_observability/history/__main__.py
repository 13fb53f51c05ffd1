"""``python -m workbook.ch06_observability.history``: build the week of run history in this data folder."""

from workbook.ch06_observability.history import build

for line in build():
    print(line)
