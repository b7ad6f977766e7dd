"""A Jupyter kernel manager that starts each kernel inside the grading sandbox.

nbclient (and so nbgrader's ``Execute`` preprocessor) creates one manager per notebook, starts
the kernel with the notebook's folder as working directory and cleans up after the last cell.
This manager turns that folder into a sandbox (:mod:`mlcourse.grading.sandbox`), talks to the
kernel over ZMQ's ``ipc`` transport (there is no network inside), interrupts it with a control
message rather than a signal (the kernel is in its own session), and after the kernel has
stopped removes any link or special file the student code left behind.
"""

from __future__ import annotations

import signal

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Instance

from mlcourse.grading.sandbox import Sandbox, SandboxRun

__all__ = ["SandboxedKernelManager"]


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` whose kernels run in the grading sandbox.

    Settings come from ``c.Sandbox`` (limits, ``unsafe``). After the kernel has stopped,
    :meth:`death_reason` explains an unexpected exit and :attr:`defused` lists the links and
    special files that were removed from the submission folder.
    """

    sandbox = Instance(Sandbox)
    sandboxed = Bool(False, help="whether the running kernel is sandboxed (False = unsafe)")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.sandbox = Sandbox(parent=self)
        self.run: SandboxRun | None = None
        self.defused: list[str] = []
        self.exit_status: int | None = None

    async def _async_pre_start_kernel(self, **kw):
        import os

        if self.run is not None:  # a restart: start from a clean run folder
            self._finish_run()
        if not self.sandbox.unsafe:
            self.sandbox.check()  # raises SandboxUnavailable with the reason and the override
        self.run = self.sandbox.prepare(kw.get("cwd") or os.getcwd())
        self.sandboxed = not self.sandbox.unsafe
        if self.sandboxed:
            self.transport = "ipc"
            self.connection_file = self.run.connection_file
            self.ip = self.run.ipc_prefix
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        self.kernel_spec.interrupt_mode = "message"  # signals cannot reach its session
        if self.sandboxed:
            self.run.share_connection_file()
            kernel_cmd = self.run.command(kernel_cmd)
            kw["env"] = {}  # the sandbox sets the kernel's environment itself (--setenv)
            kw["stdout"] = kw["stderr"] = self.run.log_file()
        else:
            kernel_cmd = self.run.unsafe_command(kernel_cmd)
        kw.pop("extra_arguments", None)
        self.log.debug("sandboxed kernel command: %s", kernel_cmd)
        return kernel_cmd, kw

    def death_reason(self) -> str:
        """Why the kernel process ended, in words, if it ended on its own."""
        status = self._status()
        if status is None:
            return "the kernel stopped"
        if status < 0 or status > 128:  # killed by a signal (bwrap reports 128 + signal)
            signum = -status if status < 0 else status - 128
            name = _signal_name(signum)
            if signum == signal.SIGXCPU or (signum == signal.SIGKILL and self._cpu_hint()):
                return (
                    f"the kernel was stopped by {name}: it used up its CPU time limit "
                    f"({self.sandbox.cpu_time_limit} s)"
                )
            if signum == signal.SIGKILL:
                return f"the kernel was killed ({name}), perhaps for using too much memory"
            return f"the kernel was stopped by {name}"
        return f"the kernel exited with status {status}"

    def _cpu_hint(self) -> bool:
        return "CPU time limit" in (self.run.log_tail() if self.run else "")

    def _status(self) -> int | None:
        if self.exit_status is not None:
            return self.exit_status
        process = getattr(self.provisioner, "process", None)
        if process is not None:
            self.exit_status = process.poll()
        return self.exit_status

    def _finish_run(self) -> None:
        if self.run is not None:
            self._status()
            self.defused = self.run.finish()
            if self.defused:
                self.log.warning(
                    "removed links or special files left by student code: %s", self.defused
                )
            self.run = None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._finish_run()

    cleanup_resources = _async_cleanup_resources


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
