"""Referrals and published waiting times coming in from files, and the waiting list going out.

No Qt here: the command line and the admin's import screen both call ImportService
(cras_desk/imports/service.py). docs/imports.md is the contract for the files.
"""
