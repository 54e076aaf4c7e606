using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace Meshwork.Proxy.Telemetry;

/// <summary>
/// Where access-log lines go: one writer per path for the whole process (listeners come and go with
/// config; the file stays open), fed through a bounded queue and drained by a background task, so a
/// request never waits on the disk. <c>/dev/stdout</c> and <c>/dev/stderr</c> are the process's own
/// streams. When the queue is full a line is dropped and counted, as Envoy's buffered file sink
/// would rather drop than block.
/// </summary>
internal sealed class AccessLogWriter
{
    private const int QueueLength = 16_384;
    private static readonly ConcurrentDictionary<string, AccessLogWriter> Writers = new(StringComparer.Ordinal);

    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(QueueLength)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private long _dropped;
    private long _written;

    private AccessLogWriter(string path)
    {
        Path = path;
        _ = Task.Run(DrainAsync);
    }

    public string Path { get; }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long Written => Interlocked.Read(ref _written);

    public static AccessLogWriter For(string path) => Writers.GetOrAdd(path, static p => new AccessLogWriter(p));

    public void Write(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task DrainAsync()
    {
        Stream? stream = null;
        var buffer = new StringBuilder();
        while (await _lines.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_lines.Reader.TryRead(out var line))
            {
                buffer.Append(line);
                Interlocked.Increment(ref _written);
            }

            try
            {
                stream ??= Open(Path);
                var bytes = Encoding.UTF8.GetBytes(buffer.ToString());
                await stream.WriteAsync(bytes).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A log that cannot be written must not take requests down with it; it is retried with the next lines.
                stream?.Dispose();
                stream = null;
                await Console.Error.WriteLineAsync($"mesh-proxy: access log {Path}: {e.Message}").ConfigureAwait(false);
            }

            buffer.Clear();
        }
    }

    private static Stream Open(string path) => path switch
    {
        "/dev/stdout" => Console.OpenStandardOutput(),
        "/dev/stderr" => Console.OpenStandardError(),
        _ when OperatingSystem.IsLinux() => AppendOnly(path),
        _ => new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete),
    };

    /// <summary>
    /// The file opened with O_APPEND, as Envoy opens its access logs: every sidecar of a local mesh may
    /// share one file, and only the kernel's append keeps their lines whole. (FileStream's Append mode
    /// writes at its own offsets, so two processes would overwrite each other's lines.)
    /// </summary>
    private static FileStream AppendOnly(string path)
    {
        const int WriteOnly = 0x1, Create = 0x40, Append = 0x400, Mode = 0x1A4; // O_WRONLY | O_CREAT | O_APPEND, 0644 (Linux)
        var fd = OpenFile(System.Text.Encoding.UTF8.GetBytes(path + "\0"), WriteOnly | Create | Append, Mode);
        if (fd < 0)
        {
            throw new IOException($"cannot open for appending (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }

        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true), FileAccess.Write, bufferSize: 0);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenFile(byte[] path, int flags, int mode);
}
