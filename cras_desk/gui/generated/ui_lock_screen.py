# generated from ui/lock_screen.ui by scripts/compile_ui.py - do not edit; edit the .ui and recompile
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'lock_screen.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import QCoreApplication, QSize
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QSpacerItem, QVBoxLayout, QWidget

class Ui_LockScreen(object):
    def setupUi(self, lockPage):
        if not lockPage.objectName():
            lockPage.setObjectName(u"lockPage")
        lockPage.resize(800, 600)
        self.outer = QGridLayout(lockPage)
        self.outer.setObjectName(u"outer")
        self.topSpacer = QSpacerItem(10, 40, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.outer.addItem(self.topSpacer, 0, 1, 1, 1)

        self.leftSpacer = QSpacerItem(40, 10, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.outer.addItem(self.leftSpacer, 1, 0, 1, 1)

        self.lockCard = QFrame(lockPage)
        self.lockCard.setObjectName(u"lockCard")
        self.lockCard.setMinimumSize(QSize(420, 0))
        self.cardLayout = QVBoxLayout(self.lockCard)
        self.cardLayout.setSpacing(10)
        self.cardLayout.setObjectName(u"cardLayout")
        self.cardLayout.setContentsMargins(24, 20, 24, 20)
        self.title = QLabel(self.lockCard)
        self.title.setObjectName(u"title")

        self.cardLayout.addWidget(self.title)

        self.who = QLabel(self.lockCard)
        self.who.setObjectName(u"who")
        self.who.setWordWrap(True)

        self.cardLayout.addWidget(self.who)

        self.passwordLabel = QLabel(self.lockCard)
        self.passwordLabel.setObjectName(u"passwordLabel")

        self.cardLayout.addWidget(self.passwordLabel)

        self.password = QLineEdit(self.lockCard)
        self.password.setObjectName(u"password")
        self.password.setEchoMode(QLineEdit.Password)

        self.cardLayout.addWidget(self.password)

        self.errorLabel = QLabel(self.lockCard)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.cardLayout.addWidget(self.errorLabel)

        self.buttons = QHBoxLayout()
        self.buttons.setObjectName(u"buttons")
        self.signOutButton = QPushButton(self.lockCard)
        self.signOutButton.setObjectName(u"signOutButton")
        self.signOutButton.setAutoDefault(False)

        self.buttons.addWidget(self.signOutButton)

        self.buttonSpacer = QSpacerItem(10, 10, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttons.addItem(self.buttonSpacer)

        self.unlockButton = QPushButton(self.lockCard)
        self.unlockButton.setObjectName(u"unlockButton")
        self.unlockButton.setProperty(u"primary", True)

        self.buttons.addWidget(self.unlockButton)


        self.cardLayout.addLayout(self.buttons)


        self.outer.addWidget(self.lockCard, 1, 1, 1, 1)

        self.rightSpacer = QSpacerItem(40, 10, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.outer.addItem(self.rightSpacer, 1, 2, 1, 1)

        self.bottomSpacer = QSpacerItem(10, 40, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.outer.addItem(self.bottomSpacer, 2, 1, 1, 1)

#if QT_CONFIG(shortcut)
        self.passwordLabel.setBuddy(self.password)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.password, self.unlockButton)
        QWidget.setTabOrder(self.unlockButton, self.signOutButton)

        self.retranslateUi(lockPage)
    # setupUi

    def retranslateUi(self, lockPage):
#if QT_CONFIG(accessibility)
        lockPage.setAccessibleName(QCoreApplication.translate("LockScreen", u"Desk locked", None))
#endif // QT_CONFIG(accessibility)
        self.title.setText(QCoreApplication.translate("LockScreen", u"Desk locked", None))
        self.title.setProperty(u"role", QCoreApplication.translate("LockScreen", u"title", None))
        self.passwordLabel.setText(QCoreApplication.translate("LockScreen", u"&Password", None))
#if QT_CONFIG(accessibility)
        self.password.setAccessibleName(QCoreApplication.translate("LockScreen", u"Password to unlock", None))
#endif // QT_CONFIG(accessibility)
        self.errorLabel.setProperty(u"role", QCoreApplication.translate("LockScreen", u"error", None))
        self.signOutButton.setText(QCoreApplication.translate("LockScreen", u"Sign &out", None))
        self.unlockButton.setText(QCoreApplication.translate("LockScreen", u"&Unlock", None))
    # retranslateUi

