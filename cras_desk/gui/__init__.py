"""The Qt desk: a thin client of cras_desk.services. No SQL and no business rules here."""
