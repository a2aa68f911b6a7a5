using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace UploadKit.Testing;

/// <summary>
/// An authentication scheme for tests: a request carrying <see cref="UserHeader"/> is signed in as that user (its
/// <c>NameIdentifier</c>); any other request is anonymous and is challenged with 401.
/// </summary>
public static class TestAuthentication
{
    /// <summary>The scheme name.</summary>
    public const string Scheme = "Test";

    /// <summary>The request header naming the signed-in user.</summary>
    public const string UserHeader = "X-Test-User";

    /// <summary>Adds the test scheme as the default and authorization services.</summary>
    /// <param name="services">The app's services.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddTestAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, null);
        services.AddAuthorization();
        return services;
    }

    /// <summary>Creates a client request signed in as <paramref name="user"/>, or anonymous for <see langword="null"/>.</summary>
    /// <param name="method">The HTTP method.</param>
    /// <param name="uri">The relative URI.</param>
    /// <param name="user">The user id, or <see langword="null"/>.</param>
    /// <returns>The request.</returns>
    public static HttpRequestMessage Request(HttpMethod method, string uri, string? user)
    {
        var request = new HttpRequestMessage(method, uri);
        if (user is not null)
        {
            request.Headers.Add(UserHeader, user);
        }

        return request;
    }

    private sealed class Handler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var user = Request.Headers[UserHeader].ToString();
            if (string.IsNullOrEmpty(user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity(
                [new Claim(ClaimTypes.NameIdentifier, user), new Claim(ClaimTypes.Name, user)], TestAuthentication.Scheme);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), TestAuthentication.Scheme)));
        }
    }
}
