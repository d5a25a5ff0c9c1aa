# generated from ui/sign_in.ui by scripts/compile_ui.py - do not edit; edit the .ui and recompile
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'sign_in.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QSizePolicy, QSpacerItem, QVBoxLayout, QWidget

class Ui_SignInDialog(object):
    def setupUi(self, SignInDialog):
        if not SignInDialog.objectName():
            SignInDialog.setObjectName(u"SignInDialog")
        SignInDialog.resize(520, 460)
        self.outer = QVBoxLayout(SignInDialog)
        self.outer.setSpacing(10)
        self.outer.setObjectName(u"outer")
        self.outer.setContentsMargins(0, 0, 0, 12)
        self.signInBanner = QFrame(SignInDialog)
        self.signInBanner.setObjectName(u"signInBanner")
        self.bannerLayout = QVBoxLayout(self.signInBanner)
        self.bannerLayout.setObjectName(u"bannerLayout")
        self.bannerLayout.setContentsMargins(20, 16, 20, 16)
        self.title = QLabel(self.signInBanner)
        self.title.setObjectName(u"title")

        self.bannerLayout.addWidget(self.title)

        self.subtitle = QLabel(self.signInBanner)
        self.subtitle.setObjectName(u"subtitle")

        self.bannerLayout.addWidget(self.subtitle)


        self.outer.addWidget(self.signInBanner)

        self.body = QVBoxLayout()
        self.body.setObjectName(u"body")
        self.body.setContentsMargins(20, -1, 20, -1)
        self.form = QFormLayout()
        self.form.setObjectName(u"form")
        self.userNameLabel = QLabel(SignInDialog)
        self.userNameLabel.setObjectName(u"userNameLabel")

        self.form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.userNameLabel)

        self.userName = QLineEdit(SignInDialog)
        self.userName.setObjectName(u"userName")

        self.form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.userName)

        self.passwordLabel = QLabel(SignInDialog)
        self.passwordLabel.setObjectName(u"passwordLabel")

        self.form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.passwordLabel)

        self.password = QLineEdit(SignInDialog)
        self.password.setObjectName(u"password")
        self.password.setEchoMode(QLineEdit.Password)

        self.form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.password)

        self.dbPasswordLabel = QLabel(SignInDialog)
        self.dbPasswordLabel.setObjectName(u"dbPasswordLabel")

        self.form.setWidget(2, QFormLayout.ItemRole.LabelRole, self.dbPasswordLabel)

        self.dbPassword = QLineEdit(SignInDialog)
        self.dbPassword.setObjectName(u"dbPassword")
        self.dbPassword.setEchoMode(QLineEdit.Password)

        self.form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.dbPassword)


        self.body.addLayout(self.form)

        self.databaseLabel = QLabel(SignInDialog)
        self.databaseLabel.setObjectName(u"databaseLabel")
        self.databaseLabel.setWordWrap(True)

        self.body.addWidget(self.databaseLabel)

        self.keyringNotice = QLabel(SignInDialog)
        self.keyringNotice.setObjectName(u"keyringNotice")
        self.keyringNotice.setWordWrap(True)

        self.body.addWidget(self.keyringNotice)

        self.progressLabel = QLabel(SignInDialog)
        self.progressLabel.setObjectName(u"progressLabel")
        self.progressLabel.setWordWrap(True)

        self.body.addWidget(self.progressLabel)

        self.progress = QProgressBar(SignInDialog)
        self.progress.setObjectName(u"progress")
        self.progress.setValue(0)

        self.body.addWidget(self.progress)

        self.errorLabel = QLabel(SignInDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.body.addWidget(self.errorLabel)

        self.bodySpacer = QSpacerItem(10, 10, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)

        self.body.addItem(self.bodySpacer)

        self.buttons = QHBoxLayout()
        self.buttons.setObjectName(u"buttons")
        self.databaseButton = QPushButton(SignInDialog)
        self.databaseButton.setObjectName(u"databaseButton")
        self.databaseButton.setAutoDefault(False)

        self.buttons.addWidget(self.databaseButton)

        self.buttonSpacer = QSpacerItem(10, 10, QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

        self.buttons.addItem(self.buttonSpacer)

        self.quitButton = QPushButton(SignInDialog)
        self.quitButton.setObjectName(u"quitButton")
        self.quitButton.setAutoDefault(False)

        self.buttons.addWidget(self.quitButton)

        self.signInButton = QPushButton(SignInDialog)
        self.signInButton.setObjectName(u"signInButton")

        self.buttons.addWidget(self.signInButton)


        self.body.addLayout(self.buttons)


        self.outer.addLayout(self.body)

#if QT_CONFIG(shortcut)
        self.userNameLabel.setBuddy(self.userName)
        self.passwordLabel.setBuddy(self.password)
        self.dbPasswordLabel.setBuddy(self.dbPassword)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.userName, self.password)
        QWidget.setTabOrder(self.password, self.dbPassword)
        QWidget.setTabOrder(self.dbPassword, self.signInButton)
        QWidget.setTabOrder(self.signInButton, self.quitButton)
        QWidget.setTabOrder(self.quitButton, self.databaseButton)

        self.retranslateUi(SignInDialog)

        self.signInButton.setDefault(True)

    # setupUi

    def retranslateUi(self, SignInDialog):
        SignInDialog.setWindowTitle(QCoreApplication.translate("SignInDialog", u"CRAS Desk - sign in", None))
        self.title.setText(QCoreApplication.translate("SignInDialog", u"CRAS Desk", None))
        self.title.setProperty(u"role", QCoreApplication.translate("SignInDialog", u"title", None))
        self.subtitle.setText(QCoreApplication.translate("SignInDialog", u"MSK Clinical Referral and Assessment Service", None))
        self.userNameLabel.setText(QCoreApplication.translate("SignInDialog", u"&User name", None))
#if QT_CONFIG(accessibility)
        self.userName.setAccessibleName(QCoreApplication.translate("SignInDialog", u"User name", None))
#endif // QT_CONFIG(accessibility)
        self.passwordLabel.setText(QCoreApplication.translate("SignInDialog", u"&Password", None))
#if QT_CONFIG(accessibility)
        self.password.setAccessibleName(QCoreApplication.translate("SignInDialog", u"Password", None))
#endif // QT_CONFIG(accessibility)
        self.dbPasswordLabel.setText(QCoreApplication.translate("SignInDialog", u"&Database password", None))
#if QT_CONFIG(accessibility)
        self.dbPassword.setAccessibleName(QCoreApplication.translate("SignInDialog", u"Database password", None))
#endif // QT_CONFIG(accessibility)
        self.databaseLabel.setProperty(u"role", QCoreApplication.translate("SignInDialog", u"hint", None))
        self.keyringNotice.setProperty(u"role", QCoreApplication.translate("SignInDialog", u"notice", None))
#if QT_CONFIG(accessibility)
        self.progress.setAccessibleName(QCoreApplication.translate("SignInDialog", u"Preparing the database", None))
#endif // QT_CONFIG(accessibility)
        self.errorLabel.setProperty(u"role", QCoreApplication.translate("SignInDialog", u"error", None))
#if QT_CONFIG(accessibility)
        self.errorLabel.setAccessibleName(QCoreApplication.translate("SignInDialog", u"Sign-in problem", None))
#endif // QT_CONFIG(accessibility)
        self.databaseButton.setText(QCoreApplication.translate("SignInDialog", u"Database &connection...", None))
#if QT_CONFIG(accessibility)
        self.databaseButton.setAccessibleName(QCoreApplication.translate("SignInDialog", u"Database connection settings", None))
#endif // QT_CONFIG(accessibility)
        self.quitButton.setText(QCoreApplication.translate("SignInDialog", u"&Quit", None))
        self.signInButton.setText(QCoreApplication.translate("SignInDialog", u"&Sign in", None))
    # retranslateUi

