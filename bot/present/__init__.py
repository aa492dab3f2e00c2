"""The presentation: what govbot says, written once for every platform.

Services return data (typed results, notices as kinds and parameters, errors with structured
suggestions); this package turns it into what a person reads: sentences in the reader's language,
commands in the platform's syntax, actions (a Vote button) and attachments (a result's charts) as
data. It may import ``governance``, never ``slack_*`` or ``discord``: each adapter renders the values
built here in its own way (Block Kit, embeds and components, a terminal).

- ``syntax.py``   a command line in a platform's syntax (``/gov body list``, ``/body list``, bare)
- ``notices.py``  an outbox notice (kind + parameters, or an older row's stored sentence) -> ``Notice``
- ``errors.py``   an error's suggestion -> the sentence that carries it
- ``replies.py``  what a command answers: text, tables, attachments
"""
