"""监督: the supervision dashboard and its .xlsx export, 我的待办 and due-soon reminders."""
