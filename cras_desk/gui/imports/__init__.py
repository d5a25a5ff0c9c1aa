"""The admin's import screen: referral and waiting-time files, checked or imported, with progress."""
