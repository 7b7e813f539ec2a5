import io

import pytest
from django.core.management import CommandError, call_command

from plumbline.playbook.models import Framework
from plumbline.playbook.queries import framework_for


def run(*args):
    out = io.StringIO()
    call_command("playbook", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.mark.django_db
def test_frameworks_command_copies_each_template_once_and_chooses_one_for_a_pipeline(pipeline):
    assert run("frameworks", "--pipeline", "New business", "--use", "meddic") == [
        "Created BANT (4 criteria).", "Created MEDDIC (6 criteria).", "Created MEDDPICC (8 criteria).",
        "Created NEAT (4 criteria).", "Created CHAMP (4 criteria).", "Created SPIN (4 criteria).",
        "New business now qualifies deals with MEDDIC.",
    ]
    assert run("frameworks") == []
    assert Framework.objects.count() == 6
    assert framework_for(pipeline.pk).template == "meddic"
    with pytest.raises(CommandError):
        run("frameworks", "--pipeline", "Nope", "--use", "bant")
    with pytest.raises(CommandError):
        run("frameworks", "--use", "bant")
