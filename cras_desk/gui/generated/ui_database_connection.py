# generated from ui/database_connection.ui by scripts/compile_ui.py - do not edit; edit the .ui and recompile
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'database_connection.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

class Ui_DatabaseConnectionDialog(object):
    def setupUi(self, DatabaseConnectionDialog):
        if not DatabaseConnectionDialog.objectName():
            DatabaseConnectionDialog.setObjectName(u"DatabaseConnectionDialog")
        DatabaseConnectionDialog.resize(620, 340)
        self.outer = QVBoxLayout(DatabaseConnectionDialog)
        self.outer.setObjectName(u"outer")
        self.explanation = QLabel(DatabaseConnectionDialog)
        self.explanation.setObjectName(u"explanation")
        self.explanation.setWordWrap(True)

        self.outer.addWidget(self.explanation)

        self.form = QFormLayout()
        self.form.setObjectName(u"form")
        self.urlLabel = QLabel(DatabaseConnectionDialog)
        self.urlLabel.setObjectName(u"urlLabel")

        self.form.setWidget(0, QFormLayout.ItemRole.LabelRole, self.urlLabel)

        self.url = QLineEdit(DatabaseConnectionDialog)
        self.url.setObjectName(u"url")

        self.form.setWidget(0, QFormLayout.ItemRole.FieldRole, self.url)

        self.passwordLabel = QLabel(DatabaseConnectionDialog)
        self.passwordLabel.setObjectName(u"passwordLabel")

        self.form.setWidget(1, QFormLayout.ItemRole.LabelRole, self.passwordLabel)

        self.password = QLineEdit(DatabaseConnectionDialog)
        self.password.setObjectName(u"password")
        self.password.setEchoMode(QLineEdit.Password)

        self.form.setWidget(1, QFormLayout.ItemRole.FieldRole, self.password)

        self.remember = QCheckBox(DatabaseConnectionDialog)
        self.remember.setObjectName(u"remember")
        self.remember.setChecked(True)

        self.form.setWidget(2, QFormLayout.ItemRole.FieldRole, self.remember)


        self.outer.addLayout(self.form)

        self.keyringNotice = QLabel(DatabaseConnectionDialog)
        self.keyringNotice.setObjectName(u"keyringNotice")
        self.keyringNotice.setWordWrap(True)

        self.outer.addWidget(self.keyringNotice)

        self.adminNote = QLabel(DatabaseConnectionDialog)
        self.adminNote.setObjectName(u"adminNote")
        self.adminNote.setWordWrap(True)

        self.outer.addWidget(self.adminNote)

        self.errorLabel = QLabel(DatabaseConnectionDialog)
        self.errorLabel.setObjectName(u"errorLabel")
        self.errorLabel.setWordWrap(True)

        self.outer.addWidget(self.errorLabel)

        self.buttons = QDialogButtonBox(DatabaseConnectionDialog)
        self.buttons.setObjectName(u"buttons")
        self.buttons.setStandardButtons(QDialogButtonBox.Cancel|QDialogButtonBox.Ok)

        self.outer.addWidget(self.buttons)

#if QT_CONFIG(shortcut)
        self.urlLabel.setBuddy(self.url)
        self.passwordLabel.setBuddy(self.password)
#endif // QT_CONFIG(shortcut)
        QWidget.setTabOrder(self.url, self.password)
        QWidget.setTabOrder(self.password, self.remember)

        self.retranslateUi(DatabaseConnectionDialog)
    # setupUi

    def retranslateUi(self, DatabaseConnectionDialog):
        DatabaseConnectionDialog.setWindowTitle(QCoreApplication.translate("DatabaseConnectionDialog", u"Database connection", None))
        self.explanation.setText(QCoreApplication.translate("DatabaseConnectionDialog", u"Leave the URL empty to use the embedded database on this computer. For the central database give a URL without the password, e.g. postgresql+psycopg://cras_desk@db.example.nhs.uk/cras.", None))
        self.urlLabel.setText(QCoreApplication.translate("DatabaseConnectionDialog", u"Database &URL", None))
#if QT_CONFIG(accessibility)
        self.url.setAccessibleName(QCoreApplication.translate("DatabaseConnectionDialog", u"Database URL", None))
#endif // QT_CONFIG(accessibility)
        self.url.setPlaceholderText(QCoreApplication.translate("DatabaseConnectionDialog", u"empty: the embedded database", None))
        self.passwordLabel.setText(QCoreApplication.translate("DatabaseConnectionDialog", u"Database &password", None))
#if QT_CONFIG(accessibility)
        self.password.setAccessibleName(QCoreApplication.translate("DatabaseConnectionDialog", u"Database password", None))
#endif // QT_CONFIG(accessibility)
        self.remember.setText(QCoreApplication.translate("DatabaseConnectionDialog", u"&Remember the password in the system keyring", None))
        self.keyringNotice.setProperty(u"role", QCoreApplication.translate("DatabaseConnectionDialog", u"notice", None))
        self.adminNote.setProperty(u"role", QCoreApplication.translate("DatabaseConnectionDialog", u"hint", None))
        self.adminNote.setText(QCoreApplication.translate("DatabaseConnectionDialog", u"The new connection is tried when you sign in, and kept only if an administrator signs in to it. Otherwise this desk goes back to its saved connection.", None))
        self.errorLabel.setProperty(u"role", QCoreApplication.translate("DatabaseConnectionDialog", u"error", None))
    # retranslateUi

