using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Meshwork.Proxy.Tests.Http;

/// <summary>
/// A raw TCP upstream on loopback that reads each HTTP/1.1 request (head, then a Content-Length or
/// chunked body) and answers with exactly the bytes a test scripted, so framing edge cases and
/// malformed answers can be sent on purpose. It records each request's bytes and counts connections;
/// an answer may close the connection after it is written.
/// </summary>
internal sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Func<int, (string Answer, bool Close)> _script;
    private readonly Task _accepting;
    private readonly List<Task> _connectionTasks = [];
    private int _connections;
    private int _requests;

    /// <param name="script">The answer to the n-th request (from 0) and whether to close after it.</param>
    public ScriptedUpstream(Func<int, (string Answer, bool Close)> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public ScriptedUpstream(string answer, bool close = false)
        : this(_ => (answer, close))
    {
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public ConcurrentQueue<string> Requests { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] tasks;
        lock (_connectionTasks)
        {
            tasks = [.. _connectionTasks];
        }

        await Task.WhenAll(tasks);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            lock (_connectionTasks)
            {
                _connectionTasks.Add(ServeAsync(socket));
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var request = await ReadRequestAsync(socket, pending, buffer);
                if (request == null)
                {
                    return;
                }

                Requests.Enqueue(request);
                var (answer, close) = _script(Interlocked.Increment(ref _requests) - 1);
                await socket.SendAsync(Encoding.Latin1.GetBytes(answer), SocketFlags.None, _stop.Token);
                if (close)
                {
                    socket.Shutdown(SocketShutdown.Both);
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task<string?> ReadRequestAsync(Socket socket, List<byte> pending, byte[] buffer)
    {
        int headEnd;
        while ((headEnd = IndexOf(pending, "\r\n\r\n")) < 0)
        {
            if (!await ReceiveAsync(socket, pending, buffer))
            {
                return null;
            }
        }

        var head = Encoding.Latin1.GetString([.. pending.Take(headEnd + 4)]);
        var bodyStart = headEnd + 4;
        int total;
        if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            int end;
            while ((end = IndexOf(pending, "\r\n0\r\n\r\n", bodyStart - 2)) < 0)
            {
                if (!await ReceiveAsync(socket, pending, buffer))
                {
                    return null;
                }
            }

            total = end + 7;
        }
        else
        {
            var length = 0;
            foreach (var line in head.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    length = int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            total = bodyStart + length;
            while (pending.Count < total)
            {
                if (!await ReceiveAsync(socket, pending, buffer))
                {
                    return null;
                }
            }
        }

        var request = Encoding.Latin1.GetString([.. pending.Take(total)]);
        pending.RemoveRange(0, total);
        return request;
    }

    private async Task<bool> ReceiveAsync(Socket socket, List<byte> pending, byte[] buffer)
    {
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
        pending.AddRange(buffer.AsSpan(0, read).ToArray());
        return read > 0;
    }

    private static int IndexOf(List<byte> data, string text, int from = 0)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        for (var i = Math.Max(0, from); i + bytes.Length <= data.Count; i++)
        {
            var match = true;
            for (var j = 0; j < bytes.Length && match; j++)
            {
                match = data[i + j] == bytes[j];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
