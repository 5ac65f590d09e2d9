"""Writes about people, units and roles. Views and admin forms call these."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from .models import OrgUnit, RankLevel, Role, RoleAssignment, User
from .selectors import person_can_change, unit_can_manage

# The Wagtail groups that mirror staff roles (created by migration people 0002).
ROLE_GROUPS: dict[str, str] = {
    Role.TRAINER: "Trainers",
    Role.UNIT_ADMIN: "Unit admins",
    Role.DISCIPLINE_OFFICER: "Discipline officers",
}


def user_sync_role_groups(*, user: User) -> None:
    """Make the user's membership of the role groups match their role assignments.
    Groups not tied to a role are left alone."""
    wanted = set(
        RoleAssignment.objects.filter(user=user, role__in=ROLE_GROUPS.keys())
        .values_list("role", flat=True)
        .distinct()
    )
    groups = {g.name: g for g in Group.objects.filter(name__in=ROLE_GROUPS.values())}
    for role, group_name in ROLE_GROUPS.items():
        group = groups.get(group_name)
        if group is None:
            continue
        if role in wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    user.__dict__.pop("_role_paths_cache", None)


@transaction.atomic
def role_grant(
    *, user: User, role: str, unit: OrgUnit, granted_by: User | None = None
) -> RoleAssignment:
    """Grant ``role`` on ``unit`` (and its subtree). Granting twice changes nothing."""
    # A unit admin may hand out roles only inside their own subtree.
    if granted_by is not None and not unit_can_manage(viewer=granted_by, unit=unit):
        raise PermissionDenied
    assignment, _created = RoleAssignment.objects.get_or_create(
        user=user, role=role, unit=unit, defaults={"granted_by": granted_by}
    )
    user_sync_role_groups(user=user)
    return assignment


@transaction.atomic
def role_revoke(*, user: User, role: str, unit: OrgUnit) -> None:
    RoleAssignment.objects.filter(user=user, role=role, unit=unit).delete()
    user_sync_role_groups(user=user)


def set_password_url(*, user: User) -> str:
    """An absolute one-time link where ``user`` chooses their password (allauth's reset
    flow, so the same token rules and rate limits apply)."""
    key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
    path = path.replace("UID-KEY", key)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def account_send_set_password(*, user: User, language: str | None = None) -> None:
    """E-mail ``user`` their set-password link, in ``language`` (default: Chinese)."""
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"user": user, "url": set_password_url(user=user)}
        subject = _("Your Qinglian account: choose a password")
        body = render_to_string("emails/set_password.txt", context)
    send_mail(subject, body, None, [user.email])


def account_email_address_ensure(*, user: User) -> None:
    """Give ``user.email`` its allauth ``EmailAddress`` row (primary, not yet verified),
    so verification, password reset and login by e-mail all see the address."""
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(user=user, email__iexact=user.email).exists():
        has_primary = EmailAddress.objects.filter(user=user, primary=True).exists()
        EmailAddress.objects.create(
            user=user, email=user.email, primary=not has_primary, verified=False
        )


def account_email_verify_from_link(*, user: User) -> None:
    """The person set their password through a link mailed to them: mark the address
    verified. Only when ``user.email`` is their one address, because allauth can mail a
    reset link to any address of the account, and the link does not say which."""
    from allauth.account.models import EmailAddress

    addresses = list(EmailAddress.objects.filter(user=user))
    if len(addresses) == 1 and addresses[0].email.lower() == user.email.lower():
        address = addresses[0]
        if not address.verified or not address.primary:
            address.verified = True
            address.primary = True
            address.save(update_fields=["verified", "primary"])


def _clean_person_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(fields)
    if cleaned.get("email"):
        cleaned["email"] = User.objects.normalize_email(cleaned["email"]).lower()
    for key in ("full_name", "position_title", "employee_number"):
        if key in cleaned and isinstance(cleaned[key], str):
            cleaned[key] = cleaned[key].strip()
    if cleaned.get("employee_number") == "":
        cleaned["employee_number"] = None
    return cleaned


def _email_taken(email: str) -> bool:
    """Logins are e-mail addresses: taken as anyone's account e-mail or as any allauth
    address (a person may have added a second one)."""
    from allauth.account.models import EmailAddress

    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


@transaction.atomic
def person_provision(
    *,
    by: User,
    email: str,
    full_name: str,
    unit: OrgUnit,
    rank_level: RankLevel | None = None,
    position_title: str = "",
    employee_number: str | None = None,
    send_invitation: bool = True,
) -> User:
    """Create a person's account inside ``by``'s scope. The account has no usable
    password; the person receives a set-password link once the transaction commits."""
    if not unit_can_manage(viewer=by, unit=unit):
        raise PermissionDenied
    fields = _clean_person_fields(
        {
            "email": email,
            "full_name": full_name,
            "unit": unit,
            "rank_level": rank_level,
            "position_title": position_title,
            "employee_number": employee_number,
        }
    )
    if _email_taken(fields["email"]):
        raise ValidationError({"email": _("A person with this e-mail address already exists.")})
    user = User.objects.create_user(password=None, **fields)
    person_account_open(user=user, send_invitation=send_invitation)
    return user


def person_account_open(
    *, user: User, granted_by: User | None = None, send_invitation: bool = True
) -> None:
    """What every newly provisioned account gets, however it was created (service, admin
    form): no usable password, its allauth address, the learner role on its unit, and the
    set-password mail, in the current language, once the transaction commits."""
    if not user.password or user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    account_email_address_ensure(user=user)
    if user.unit is not None:
        role_grant(user=user, role=Role.LEARNER, unit=user.unit, granted_by=granted_by)
    if send_invitation:
        language = user.language or translation.get_language()
        transaction.on_commit(lambda: account_send_set_password(user=user, language=language))


def person_language_set(*, user: User, language: str) -> bool:
    """Store the language ``user`` reads e-mails and notifications in (``""``: the site's
    default). Returns ``True`` when it changed. Only that column is written, so a stale
    ``user`` (``request.user``) cannot overwrite other fields."""
    if language not in ("", *dict(settings.LANGUAGES)):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    if user.language == language:
        return False
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    return True


@transaction.atomic
def person_update(*, by: User, person: User, **fields: Any) -> User:
    """Change a person's profile. Both the person and any new unit must be in scope."""
    if not person_can_change(viewer=by, person=person):
        raise PermissionDenied
    new_unit = fields.get("unit")
    if new_unit is not None and not unit_can_manage(viewer=by, unit=new_unit):
        raise PermissionDenied
    for key, value in _clean_person_fields(fields).items():
        setattr(person, key, value)
    person.full_clean(exclude=["password"])
    person.save()
    return person


def role_groups_ensure() -> None:
    """Create the groups that mirror staff roles, with their Wagtail permissions.
    Idempotent; runs after every ``migrate`` (see ``PeopleConfig.ready``)."""
    from django.contrib.auth.models import Permission
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    access_admin = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    if access_admin is None:  # wagtailadmin not migrated yet
        return
    groups = {}
    for group_name in ROLE_GROUPS.values():
        group, _created = Group.objects.get_or_create(name=group_name)
        group.permissions.add(access_admin)
        groups[group_name] = group

    # Unit admins manage people and units in their subtree (the admin views scope them).
    unit_admins = groups[ROLE_GROUPS[Role.UNIT_ADMIN]]
    for codename in ("add_user", "change_user", "add_orgunit", "change_orgunit"):
        perm = Permission.objects.filter(
            content_type__app_label="people", codename=codename
        ).first()
        if perm is not None:
            unit_admins.permissions.add(perm)

    # Trainers author content: pages, images and documents.
    trainers = groups[ROLE_GROUPS[Role.TRAINER]]
    root = Page.get_first_root_node()
    if root is not None:
        for codename in ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"):
            perm = Permission.objects.filter(
                content_type__app_label="wagtailcore", codename=codename
            ).first()
            if perm is not None:
                GroupPagePermission.objects.get_or_create(
                    group=trainers, page=root, permission=perm
                )
    collection = Collection.get_first_root_node()
    if collection is not None:
        for app_label, codenames in (
            ("wagtailimages", ("add_image", "change_image", "choose_image")),
            ("wagtaildocs", ("add_document", "change_document", "choose_document")),
        ):
            for codename in codenames:
                perm = Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                if perm is not None:
                    GroupCollectionPermission.objects.get_or_create(
                        group=trainers, collection=collection, permission=perm
                    )
