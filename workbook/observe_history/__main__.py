"""``python -m workbook.observe_history``: build the week of run history in this data folder."""

from workbook.observe_history import build

for line in build():
    print(line)
