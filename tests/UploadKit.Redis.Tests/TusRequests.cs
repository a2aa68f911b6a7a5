using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using UploadKit.Testing;

namespace UploadKit.Redis.Tests;

/// <summary>The tus requests the multi-server tests send, as alice, to a resumable route at <c>/files</c>.</summary>
internal static class TusRequests
{
    public static HttpRequestMessage Tus(HttpMethod method, string uri, string user = "alice")
    {
        var request = TestAuthentication.Request(method, uri, user);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        return request;
    }

    public static async Task<string> CreateAsync(TestApp server, long length, string fileName)
    {
        using var request = Tus(HttpMethod.Post, "/files");
        request.Headers.Add("Upload-Length", length.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", "filename " + Convert.ToBase64String(Encoding.UTF8.GetBytes(fileName)));
        using var response = await server.Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.AbsolutePath;
    }

    public static async Task<HttpResponseMessage> PatchAsync(TestApp server, string location, long offset, byte[] bytes)
    {
        using var request = Tus(HttpMethod.Patch, location);
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        return await server.Client.SendAsync(request);
    }

    public static long Offset(HttpResponseMessage response) =>
        long.Parse(response.Headers.GetValues("Upload-Offset").Single(), CultureInfo.InvariantCulture);

    /// <summary>
    /// Sends a PATCH from <paramref name="offset"/> declaring the rest of the content, writes <paramref name="sent"/> bytes in
    /// steps (as a network delivers them, so that the server has read most of them), then drops the connection.
    /// </summary>
    public static async Task SendAndCutAsync(Uri server, string location, byte[] content, int offset, int sent)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(server.Host, server.Port);
        var head = $"PATCH {location} HTTP/1.1\r\nHost: {server.Authority}\r\nTus-Resumable: 1.0.0\r\n{TestAuthentication.UserHeader}: alice\r\n" +
            $"Content-Type: application/offset+octet-stream\r\nUpload-Offset: {offset.ToString(CultureInfo.InvariantCulture)}\r\n" +
            $"Content-Length: {(content.Length - offset).ToString(CultureInfo.InvariantCulture)}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head));
        for (var position = offset; position < offset + sent; position += 16_384)
        {
            await socket.SendAsync(content.AsMemory(position, Math.Min(16_384, offset + sent - position)));
            await Task.Yield();
        }

        socket.Shutdown(SocketShutdown.Both);
        socket.Close();
    }
}
