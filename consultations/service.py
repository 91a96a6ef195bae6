"""The consultations service: one import for every rule and change, split by topic.

Permissions in consultations/access.py; writing in authoring.py; the life cycle in lifecycle.py;
answers in responses.py; section comments in comments.py; the live Q&A in live.py; reading in
browse.py; the scheduled notices in notices.py; exports, report and calendar in their own modules.
"""

from __future__ import annotations

from consultations.access import (
    ConsultationAccess,
    can_create_anywhere,
    check_can_create,
    check_can_see,
    get_managed,
    get_visible,
)
from consultations.authoring import (
    do_add_section,
    do_add_session,
    do_create_consultation,
    do_delete_section,
    do_delete_session,
    do_move_section,
    do_update_consultation,
    do_update_section,
)
from consultations.browse import get_page, list_consultations, list_group_consultations, list_my_notices
from consultations.comments import (
    do_add_comment,
    do_hide_comment,
    do_pin_comment,
    do_unhide_comment,
    do_unpin_comment,
    list_comments,
)
from consultations.lifecycle import (
    do_close_early,
    do_extend,
    do_handover,
    do_publish,
    do_publish_report,
    do_reopen,
    do_unpublish,
    do_withdraw_report,
)
from consultations.live import (
    do_approve_question,
    do_ask,
    do_end_session,
    do_extend_session,
    do_hide_question,
    do_highlight,
    do_mark_answered,
    do_upvote,
    list_questions,
)
from consultations.notices import run_consultation_notices
from consultations.questions import do_add_question, do_delete_question, do_move_question, do_update_question
from consultations.responses import do_save_response, do_set_attribution, get_my_response
from consultations.state import State, state_at

__all__ = [
    "ConsultationAccess",
    "State",
    "can_create_anywhere",
    "check_can_create",
    "check_can_see",
    "do_add_comment",
    "do_add_question",
    "do_add_section",
    "do_add_session",
    "do_approve_question",
    "do_ask",
    "do_close_early",
    "do_create_consultation",
    "do_delete_question",
    "do_delete_section",
    "do_delete_session",
    "do_end_session",
    "do_extend",
    "do_extend_session",
    "do_handover",
    "do_hide_comment",
    "do_hide_question",
    "do_highlight",
    "do_mark_answered",
    "do_move_question",
    "do_move_section",
    "do_pin_comment",
    "do_publish",
    "do_publish_report",
    "do_reopen",
    "do_save_response",
    "do_set_attribution",
    "do_unhide_comment",
    "do_unpin_comment",
    "do_unpublish",
    "do_update_consultation",
    "do_update_question",
    "do_update_section",
    "do_upvote",
    "do_withdraw_report",
    "get_managed",
    "get_my_response",
    "get_page",
    "get_visible",
    "list_comments",
    "list_consultations",
    "list_group_consultations",
    "list_my_notices",
    "list_questions",
    "run_consultation_notices",
    "state_at",
]
