using System.Diagnostics;
using System.Globalization;

namespace Meshwork.Ctl.Workloads;

/// <summary>
/// Makes the processes meshctl starts die with it, even when meshctl is killed with SIGKILL and
/// cannot stop them itself. .NET cannot set PR_SET_PDEATHSIG on a child, so a tiny /bin/sh watchdog
/// does it: meshctl writes each child's PID to the watchdog's stdin, and when that pipe closes
/// (meshctl exited, whatever the cause) the watchdog sends them SIGTERM, then SIGKILL after 5 s.
/// On an orderly stop meshctl ends its children itself and tells the watchdog to let go.
/// </summary>
internal sealed class OrphanGuard : IDisposable
{
    // Ignores SIGINT and SIGHUP: a Ctrl-C or a closed terminal reaches the whole process group, and
    // the watchdog must outlive meshctl to do its job.
    private const string Script = """
        trap '' INT HUP
        pids=""
        while read -r pid; do
          case "$pid" in
            release) exit 0 ;;
            *) pids="$pids $pid" ;;
          esac
        done
        [ -n "$pids" ] || exit 0
        kill -TERM $pids 2>/dev/null
        i=0
        while [ $i -lt 5 ]; do
          alive=""
          for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
          [ -n "$alive" ] || exit 0
          sleep 1
          i=$((i + 1))
        done
        kill -KILL $pids 2>/dev/null
        exit 0
        """;

    private readonly Process? _watchdog;
    private readonly Lock _lock = new();

    private OrphanGuard(Process? watchdog) => _watchdog = watchdog;

    /// <summary>Starts the watchdog (none on Windows, where there is no /bin/sh; children may outlive a killed meshctl there).</summary>
    public static OrphanGuard Start()
    {
        if (OperatingSystem.IsWindows() || !File.Exists("/bin/sh"))
        {
            return new OrphanGuard(null);
        }

        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        return new OrphanGuard(Process.Start(start));
    }

    public int? Pid => _watchdog?.Id;

    /// <summary>From now on <paramref name="pid"/> is ended if meshctl dies.</summary>
    public void Watch(int pid)
    {
        lock (_lock)
        {
            if (_watchdog is { HasExited: false })
            {
                _watchdog.StandardInput.WriteLine(pid.ToString(CultureInfo.InvariantCulture));
                _watchdog.StandardInput.Flush();
            }
        }
    }

    /// <summary>The orderly end: meshctl has stopped its children itself; the watchdog exits without signalling anyone.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_watchdog == null)
            {
                return;
            }

            try
            {
                if (!_watchdog.HasExited)
                {
                    _watchdog.StandardInput.WriteLine("release");
                    _watchdog.StandardInput.Close();
                    _watchdog.WaitForExit(2000);
                }
            }
            catch (IOException)
            {
            }

            _watchdog.Dispose();
        }
    }
}
