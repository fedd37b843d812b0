"""Drop the NIK's first four digits and its province code from the clear (QUALITY.md, Security 14).

With the birth date and sex (digits 7-12) and the last four, they left only the 2-digit district code
unknown: 100 guesses against the blind index. Now the 6-digit region prefix stays unknown. The mask
shows the last four only (API.md); the full NIK is still in `nik_encrypted`, found by `nik_hash`.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('registration', '0008_name_trigram_index'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='enrollment',
            name='nik_first4',
        ),
        migrations.RemoveField(
            model_name='enrollment',
            name='province',
        ),
    ]
