using System.Net.Security;

namespace Meshwork.Proxy.Tests.Connections;

/// <summary>Real ClientHello bytes from .NET's own TLS client: what it writes first to a peer that never answers.</summary>
internal static class ClientHelloCapture
{
    public static async Task<byte[]> CaptureAsync(string? serverName, params string[] alpn)
    {
        var sink = new FirstWriteStream();
        using var ssl = new SslStream(sink, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? string.Empty,
            ApplicationProtocols = alpn.Length == 0 ? null : alpn.Select(a => new SslApplicationProtocol(a)).ToList(),
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        };
        var handshake = ssl.AuthenticateAsClientAsync(options);
        var hello = await sink.FirstWrite.Task.WaitAsync(TimeSpan.FromSeconds(10));
        sink.Fail();
        await Assert.ThrowsAnyAsync<Exception>(() => handshake);
        return hello;
    }

    /// <summary>Wraps a handshake payload into records of at most <paramref name="fragment"/> bytes, as a client may.</summary>
    public static byte[] Refragment(byte[] hello, int fragment)
    {
        var payload = hello.AsSpan(5).ToArray();
        var output = new List<byte>();
        for (var offset = 0; offset < payload.Length; offset += fragment)
        {
            var length = Math.Min(fragment, payload.Length - offset);
            output.AddRange([22, 3, 1, (byte)(length >> 8), (byte)length]);
            output.AddRange(payload.AsSpan(offset, length).ToArray());
        }

        return output.ToArray();
    }

    private sealed class FirstWriteStream : Stream
    {
        private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<byte[]> FirstWrite { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Fail() => _failed.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _failed.Task;
            throw new IOException("capture done");
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            FirstWrite.TrySetResult(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override void Write(byte[] buffer, int offset, int count) => FirstWrite.TrySetResult(buffer.AsSpan(offset, count).ToArray());

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
