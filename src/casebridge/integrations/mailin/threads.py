"""Threading: the case an e-mail answers, found by the reply address's token, then the
``In-Reply-To`` and ``References`` headers (our Message-IDs, or an earlier message stored here),
then a ``[CB-12]`` tag in the subject when the sender may see that case."""

from __future__ import annotations

from casebridge.accounts.models import User
from casebridge.cases.models import Case
from casebridge.integrations.mail.addresses import case_key_from_message_id, parse_reply_address
from casebridge.integrations.mailin.models import InboundMail
from casebridge.integrations.mailin.parsing import ParsedMail, subject_tag
from casebridge.integrations.mailin.senders import may_see


def _case(key: str | None) -> Case | None:
    if not key:
        return None
    return Case.objects.select_related("organisation", "service").filter(key=key).first()


def answered_case(mail: InboundMail, parsed: ParsedMail, sender: User | None) -> Case | None:
    """The case this message answers: reply address, then threading headers, then subject tag."""
    for address in parsed.recipients:
        found = parse_reply_address(address)
        if found and (case := _case(found[0])):
            return case
    for reference in parsed.references:
        if case := _case(case_key_from_message_id(reference)):
            return case
    if parsed.references:
        earlier = (
            InboundMail.objects.filter(message_id__in=parsed.references, case__isnull=False)
            .exclude(pk=mail.pk)
            .select_related("case__organisation")
            .order_by("-id")
            .first()
        )
        if earlier is not None and earlier.case is not None:
            return earlier.case
    tag = subject_tag(parsed.subject)
    if tag and sender is not None and (case := _case(tag)) and may_see(sender, case):
        return case
    return None
