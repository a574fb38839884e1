"""The integrator surface (API v2): API keys for the client's server, applicants with
the client's own id, and signed webhooks delivered from an outbox.

models.py      ApiKey, Applicant, WebhookEndpoint, WebhookDelivery (the outbox)
api_keys.py    key issue/revoke, the `X-API-Key` DRF authentication class
applicants.py  applicants, their overall status, the access-scoped reads
events.py      document transitions -> outbox rows (called by kyc.services.audit)
delivery.py    signing (Standard Webhooks), the SSRF guard, attempts, retries, sweep
endpoints.py   webhook endpoints: register, list, remove, roll the secret
resubmission.py  `request_resubmission` (reviewer or scorer asks for a re-upload)
messages.py    reason and retake-hint messages for the applicant, in id / en
api.py         the REST views; tasks.py the delivery actor; admin.py the back office
"""
