using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace UploadKit.Tests.AspNetCore;

public class UploadKitEndpointSecurityTests
{
    [TestCase("0f8fad5b-d9cb-469f-a165-70867728950e")]
    [TestCase("0f8fad5bd9cb469fa16570867728950e")]
    [TestCase("Xk3_9aQz-LmP0vR7tYb2Wc")]
    public void IsUnguessableId_RandomIds_Accepted(string id) =>
        Assert.That(UnguessableIds.IsUnguessable(id), Is.True);

    [TestCase(null)]
    [TestCase("")]
    [TestCase("12345")]
    [TestCase("0f8fad5bd9cb469fa1657086772895")]
    [TestCase("00000000-0000-0000-0000-000000000000")]
    [TestCase("abababababababababababababababab")]
    [TestCase("0f8fad5b d9cb 469f a165 70867728950e")]
    [TestCase("0f8fad5b/d9cb/469f/a165/70867728950e")]
    public void IsUnguessableId_ShortOrPatternedIds_Refused(string? id) =>
        Assert.That(UnguessableIds.IsUnguessable(id), Is.False);

    [Test]
    public void GetUserId_AuthenticatedUser_PrefersNameIdentifierOverName()
    {
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "42"), new Claim(ClaimTypes.Name, "alice")], "Test")),
        };

        Assert.That(UploadKitEndpointSecurity.GetUserId(context), Is.EqualTo("42"));
    }

    [Test]
    public void GetUserId_UnauthenticatedIdentityWithClaims_ReturnsNull()
    {
        var context = new DefaultHttpContext
        {
            User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "42")])),
        };

        Assert.That(UploadKitEndpointSecurity.GetUserId(context), Is.Null);
    }
}
