"""`plumbline contacts merge | merges | unmerge`."""

import io

import pytest
from django.core.management import CommandError, call_command

from plumbline.crm.actions import do_create_contact
from plumbline.crm.models import Contact, ContactMerge
from plumbline.marketing.actions import do_record_touchpoint
from plumbline.marketing.models import Touchpoint


def run(*args):
    out = io.StringIO()
    call_command("contacts", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_merge_list_and_unmerge_from_the_command_line():
    ann = do_create_contact(email="ann@acme.com", first_name="Ann")
    dup = do_create_contact(email="ann@gmail.com", first_name="Annie", title="CTO")
    touch = do_record_touchpoint(contact_id=dup.pk, kind="page_view", channel="seo")
    out = run("merge", "ANN@acme.com", str(dup.pk), "--keep", "first_name=other")
    merge = ContactMerge.objects.get()
    assert out == (f"Merged ann@gmail.com (id {dup.pk}) into ann@acme.com (id {ann.pk}): 2 rows moved. "
                   f"Undo with: plumbline contacts unmerge {merge.pk}\n")  # the touchpoint and the creation
    assert (Contact.objects.get(pk=ann.pk).first_name, Touchpoint.objects.get(pk=touch.pk).contact_id) == (
        "Annie", ann.pk)
    listed = run("merges", "--contact", "ann@acme.com")
    assert listed.startswith(f"{merge.pk}\t") and f"ann@gmail.com (id {dup.pk}) into contact {ann.pk}\t2 rows\tactive" in listed
    assert run("unmerge", str(merge.pk)) == f"Merge {merge.pk} undone: ann@gmail.com (id {dup.pk}) is back.\n"
    assert Touchpoint.objects.get(pk=touch.pk).contact_id == dup.pk
    assert "\tundone " in run("merges")


@pytest.mark.django_db
def test_command_line_refusals_name_the_problem():
    ann = do_create_contact(email="ann@acme.com")
    do_create_contact(email="bob@acme.com")
    cases = [
        (("merge", "ann@acme.com", "nobody@acme.com"), "No contact 'nobody@acme.com' (give an id or an email)."),
        (("merge", "ann@acme.com", str(ann.pk)), "other: A contact cannot be merged into itself."),
        (("merge", "ann@acme.com", "bob@acme.com", "--keep", "title"), "--keep 'title': write FIELD=survivor or FIELD=other."),
        (("merge", "ann@acme.com", "bob@acme.com", "--keep", "stage=other"), "fields: 'stage' is not a field a merge chooses"),
        (("unmerge", "999"), "No merge with id 999."),
    ]
    for args, message in cases:
        with pytest.raises(CommandError) as refused:
            run(*args)
        assert str(refused.value).startswith(message), (args, str(refused.value))
    assert Contact.objects.count() == 2
    assert run("merges") == "No merges.\n"
