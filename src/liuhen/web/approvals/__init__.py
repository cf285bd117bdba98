"""The 待我审批 inbox and decision form, and the 授权 page (``services/approvals``)."""
