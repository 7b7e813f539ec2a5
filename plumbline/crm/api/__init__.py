"""The CRM part of /api/v1: one router per resource, mounted by plumbline.api."""

from plumbline.crm.api import activities, companies, contacts, deals, merges, pipelines, privacy

routers = [companies.router, contacts.router, deals.router, pipelines.router, activities.router, merges.router,
           privacy.router]
