"""nbgrader's exchange, with each submission readable by its student and the instructor only.

nbgrader's own ``submit`` leaves every submission in the exchange open to everyone (its folder
0777, the files in it 0644) and hides it only behind an unlistable ``inbound`` folder and a
random part in the folder's name: anyone who learns the name can read, change or delete it. But
``inbound`` is set-group-id and belongs to the instructor's group, so each submission's folder
is made in that group. :class:`ExchangeSubmit` keeps nbgrader's copy and closes the folder to
everyone outside that group (0770): the student (its owner) and the instructor (the group) keep
full access, so fetching, collecting and feedback work unchanged, and no other student can open
it, whatever they know of its name.

The classroom kit (``classroom/``) turns it on for every user of the hub in the global
``nbgrader_config.py`` it writes::

    c.ExchangeFactory.submit = "mlcourse.grading.exchange.ExchangeSubmit"

It needs the instructor's group to hold no student (user private groups, the default on Debian
and Ubuntu; ``classroom/setup_course.py`` checks it).
"""

from __future__ import annotations

import os
import stat

from nbgrader.exchange.default.submit import ExchangeSubmit as _NbgraderSubmit

__all__ = ["ExchangeSubmit", "SUBMISSION_MODE"]

SUBMISSION_MODE = 0o770  # nbgrader: 0o777


class ExchangeSubmit(_NbgraderSubmit):
    """``nbgrader submit`` whose copy in the exchange only its student and the instructor can open.

    Examples
    --------
    >>> from mlcourse.grading.exchange import SUBMISSION_MODE
    >>> oct(SUBMISSION_MODE)
    '0o770'
    """

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        inbound = os.stat(self.inbound_path)
        if not inbound.st_mode & stat.S_ISGID or os.stat(dest).st_gid != inbound.st_gid:
            # Without the instructor's group on the folder, closing it would lock the
            # instructor out too: keep nbgrader's permissions and say so.
            self.log.warning(
                "The exchange's inbound folder %s is not set-group-id, so this submission stays "
                "readable by anyone who learns its name (nbgrader's default).",
                self.inbound_path,
            )
            return
        os.chmod(dest, SUBMISSION_MODE)
