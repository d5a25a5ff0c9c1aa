"""What every desk widget is constructed with: the services, who is signed in, the worker, drafts,
the outbox.

Passed into constructors (no global singletons), so each feature widget can be built and tested
on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cras_desk.domain.central_settings import CentralSettings
from cras_desk.drafts import DraftStore
from cras_desk.gui.tasks import TaskRunner
from cras_desk.outbox import Outbox
from cras_desk.services.actor import Actor
from cras_desk.services.bundle import ServiceBundle
from cras_desk.settings import Settings


@dataclass
class DeskContext:
    services: ServiceBundle
    actor: Actor
    tasks: TaskRunner
    drafts: DraftStore
    settings: Settings
    # Where a call outcome or a "time to think" waits while the database is away (None: nowhere,
    # and the advisor is told to save again later).
    outbox: Outbox | None = None
    # The unit's central settings as last read (MainWindow keeps them current): what the screens
    # show and the idle lock use. The services read the database's own copy at every call.
    unit: CentralSettings = field(default_factory=CentralSettings)
