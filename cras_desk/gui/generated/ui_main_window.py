# generated from ui/main_window.ui by scripts/compile_ui.py - do not edit; edit the .ui and recompile
# -*- coding: utf-8 -*-

################################################################################
## Form generated from reading UI file 'main_window.ui'
##
## Created by: Qt User Interface Compiler version 6.11.3
##
## WARNING! All changes made in this file will be lost when recompiling UI file!
################################################################################

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMenu, QMenuBar, QSplitter, QStackedWidget, QStatusBar, QTabWidget, QVBoxLayout, QWidget

class Ui_MainWindow(object):
    def setupUi(self, MainWindow):
        if not MainWindow.objectName():
            MainWindow.setObjectName(u"MainWindow")
        MainWindow.resize(1440, 900)
        self.centralwidget = QWidget(MainWindow)
        self.centralwidget.setObjectName(u"centralwidget")
        self.centralLayout = QVBoxLayout(self.centralwidget)
        self.centralLayout.setObjectName(u"centralLayout")
        self.centralLayout.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget(self.centralwidget)
        self.pages.setObjectName(u"pages")
        self.deskPage = QWidget()
        self.deskPage.setObjectName(u"deskPage")
        self.deskPageLayout = QVBoxLayout(self.deskPage)
        self.deskPageLayout.setObjectName(u"deskPageLayout")
        self.deskPageLayout.setContentsMargins(4, 4, 4, 0)
        self.screens = QTabWidget(self.deskPage)
        self.screens.setObjectName(u"screens")
        self.screens.setDocumentMode(True)
        self.deskTab = QWidget()
        self.deskTab.setObjectName(u"deskTab")
        self.deskTabLayout = QVBoxLayout(self.deskTab)
        self.deskTabLayout.setObjectName(u"deskTabLayout")
        self.deskTabLayout.setContentsMargins(0, 0, 0, 0)
        self.mainSplitter = QSplitter(self.deskTab)
        self.mainSplitter.setObjectName(u"mainSplitter")
        self.mainSplitter.setOrientation(Qt.Horizontal)
        self.mainSplitter.setChildrenCollapsible(False)
        self.worklistHost = QWidget(self.mainSplitter)
        self.worklistHost.setObjectName(u"worklistHost")
        self.worklistHostLayout = QVBoxLayout(self.worklistHost)
        self.worklistHostLayout.setObjectName(u"worklistHostLayout")
        self.worklistHostLayout.setContentsMargins(0, 0, 0, 0)
        self.mainSplitter.addWidget(self.worklistHost)
        self.rightSplitter = QSplitter(self.mainSplitter)
        self.rightSplitter.setObjectName(u"rightSplitter")
        self.rightSplitter.setOrientation(Qt.Vertical)
        self.rightSplitter.setChildrenCollapsible(False)
        self.patientHost = QWidget(self.rightSplitter)
        self.patientHost.setObjectName(u"patientHost")
        self.patientHostLayout = QVBoxLayout(self.patientHost)
        self.patientHostLayout.setObjectName(u"patientHostLayout")
        self.patientHostLayout.setContentsMargins(0, 0, 0, 0)
        self.rightSplitter.addWidget(self.patientHost)
        self.flowTabs = QTabWidget(self.rightSplitter)
        self.flowTabs.setObjectName(u"flowTabs")
        self.outcomeTab = QWidget()
        self.outcomeTab.setObjectName(u"outcomeTab")
        self.outcomeTabLayout = QVBoxLayout(self.outcomeTab)
        self.outcomeTabLayout.setObjectName(u"outcomeTabLayout")
        self.outcomeTabLayout.setContentsMargins(0, 0, 0, 0)
        self.flowTabs.addTab(self.outcomeTab, "")
        self.choiceTab = QWidget()
        self.choiceTab.setObjectName(u"choiceTab")
        self.choiceTabLayout = QVBoxLayout(self.choiceTab)
        self.choiceTabLayout.setObjectName(u"choiceTabLayout")
        self.choiceTabLayout.setContentsMargins(0, 0, 0, 0)
        self.flowTabs.addTab(self.choiceTab, "")
        self.bookingTab = QWidget()
        self.bookingTab.setObjectName(u"bookingTab")
        self.bookingTabLayout = QVBoxLayout(self.bookingTab)
        self.bookingTabLayout.setObjectName(u"bookingTabLayout")
        self.bookingTabLayout.setContentsMargins(0, 0, 0, 0)
        self.flowTabs.addTab(self.bookingTab, "")
        self.rightSplitter.addWidget(self.flowTabs)
        self.mainSplitter.addWidget(self.rightSplitter)

        self.deskTabLayout.addWidget(self.mainSplitter)

        self.screens.addTab(self.deskTab, "")

        self.deskPageLayout.addWidget(self.screens)

        self.pages.addWidget(self.deskPage)

        self.centralLayout.addWidget(self.pages)

        MainWindow.setCentralWidget(self.centralwidget)
        self.menubar = QMenuBar(MainWindow)
        self.menubar.setObjectName(u"menubar")
        self.menuDesk = QMenu(self.menubar)
        self.menuDesk.setObjectName(u"menuDesk")
        self.menuWorklist = QMenu(self.menubar)
        self.menuWorklist.setObjectName(u"menuWorklist")
        self.menuCall = QMenu(self.menubar)
        self.menuCall.setObjectName(u"menuCall")
        self.menuView = QMenu(self.menubar)
        self.menuView.setObjectName(u"menuView")
        self.menuHelp = QMenu(self.menubar)
        self.menuHelp.setObjectName(u"menuHelp")
        MainWindow.setMenuBar(self.menubar)
        self.statusbar = QStatusBar(MainWindow)
        self.statusbar.setObjectName(u"statusbar")
        MainWindow.setStatusBar(self.statusbar)

        self.menubar.addAction(self.menuDesk.menuAction())
        self.menubar.addAction(self.menuWorklist.menuAction())
        self.menubar.addAction(self.menuCall.menuAction())
        self.menubar.addAction(self.menuView.menuAction())
        self.menubar.addAction(self.menuHelp.menuAction())

        self.retranslateUi(MainWindow)
    # setupUi

    def retranslateUi(self, MainWindow):
        MainWindow.setWindowTitle(QCoreApplication.translate("MainWindow", u"CRAS Desk", None))
#if QT_CONFIG(accessibility)
        self.screens.setAccessibleName(QCoreApplication.translate("MainWindow", u"Screens", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.worklistHost.setAccessibleName(QCoreApplication.translate("MainWindow", u"Worklist", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.patientHost.setAccessibleName(QCoreApplication.translate("MainWindow", u"Patient and referral", None))
#endif // QT_CONFIG(accessibility)
#if QT_CONFIG(accessibility)
        self.flowTabs.setAccessibleName(QCoreApplication.translate("MainWindow", u"Call flow", None))
#endif // QT_CONFIG(accessibility)
        self.flowTabs.setTabText(self.flowTabs.indexOf(self.outcomeTab), QCoreApplication.translate("MainWindow", u"Call outcome", None))
        self.flowTabs.setTabText(self.flowTabs.indexOf(self.choiceTab), QCoreApplication.translate("MainWindow", u"Choice script", None))
        self.flowTabs.setTabText(self.flowTabs.indexOf(self.bookingTab), QCoreApplication.translate("MainWindow", u"Booking", None))
        self.screens.setTabText(self.screens.indexOf(self.deskTab), QCoreApplication.translate("MainWindow", u"Desk", None))
        self.menuDesk.setTitle(QCoreApplication.translate("MainWindow", u"&Desk", None))
        self.menuWorklist.setTitle(QCoreApplication.translate("MainWindow", u"&Worklist", None))
        self.menuCall.setTitle(QCoreApplication.translate("MainWindow", u"&Call", None))
        self.menuView.setTitle(QCoreApplication.translate("MainWindow", u"&View", None))
        self.menuHelp.setTitle(QCoreApplication.translate("MainWindow", u"&Help", None))
    # retranslateUi

