"""Every write to the CRM record. Each verb runs in one transaction and records its history."""

from plumbline.crm.actions.activities import (
    do_complete_task,
    do_delete_activity,
    do_log_activity,
    do_update_activity,
)
from plumbline.crm.actions.bulk_lifecycle import Move, Moved, do_bulk_change_lifecycle, lifecycle_events
from plumbline.crm.actions.companies import do_create_company, do_delete_company, do_update_company
from plumbline.crm.actions.contacts import (
    do_change_lifecycle,
    do_create_contact,
    do_delete_contact,
    do_update_contact,
)
from plumbline.crm.actions.deals import (
    do_create_deal,
    do_delete_deal,
    do_move_deal,
    do_remove_deal_contact,
    do_set_deal_contact,
    do_update_deal,
)
from plumbline.crm.actions.imports import (
    CompanyResolver,
    RowResult,
    do_import_companies,
    do_import_contacts,
    do_import_deals,
)
from plumbline.crm.actions.merges import do_merge_contacts, do_undo_merge
from plumbline.crm.actions.pipelines import do_create_pipeline, do_delete_pipeline, do_update_pipeline
from plumbline.crm.actions.privacy import do_erase_contact
from plumbline.crm.actions.stages import do_add_stage, do_remove_stage, do_reorder_stages, do_update_stage

__all__ = [
    "CompanyResolver", "Move", "Moved", "RowResult", "do_add_stage", "do_bulk_change_lifecycle", "lifecycle_events",
    "do_change_lifecycle", "do_complete_task", "do_create_company", "do_create_contact", "do_create_deal",
    "do_create_pipeline", "do_delete_activity", "do_delete_company", "do_delete_contact", "do_delete_deal",
    "do_delete_pipeline", "do_erase_contact", "do_import_companies", "do_import_contacts", "do_import_deals", "do_log_activity", "do_merge_contacts", "do_move_deal", "do_remove_deal_contact", "do_remove_stage",
    "do_reorder_stages", "do_set_deal_contact", "do_undo_merge", "do_update_activity", "do_update_company", "do_update_contact",
    "do_update_deal", "do_update_pipeline", "do_update_stage",
]
