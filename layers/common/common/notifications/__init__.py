"""Guest and hotel emails from the integration events (issue 16, docs/notifications.md).

- ``events``: the EventBridge events the notifier takes (the publisher's schema, docs/events.md);
- ``compose``: which emails an event makes, to whom, with which figures (pure; the cancellation
  terms come from ``CancellationPolicy`` in the domain, the refund policy's one home);
- ``rendering``, ``invite``, ``mime``: the text, HTML and .ics of an email, and its MIME message
  (Jinja2, Babel, icalendar: installed in NotifierFunction's artifact only, not in this layer);
- ``service``: one event in, each email sent once per recipient (a conditional claim per event and
  recipient), permanent refusals recorded, transient failures raised for Lambda to retry. A
  service on ``Deps`` like those of ``common.services`` (this package sits in the services layer).
"""
