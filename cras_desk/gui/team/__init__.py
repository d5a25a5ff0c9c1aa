"""The team-lead view: workload per advisor and bulk reassignment."""
