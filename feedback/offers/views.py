"""Offers in the dashboard (per campaign), the cashier screen, and the coupon on the respondent's thank-you page."""

from __future__ import annotations

from flask import Blueprint, Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from feedback.auth.forms import ConfirmForm
from feedback.auth.models import Role
from feedback.confirm import check_undo, flash_with_undo
from feedback.db_types import utcnow
from feedback.extensions import commit, db, limiter
from feedback.forms import AmountField, DayInRange, LocalisedForm, TextsField, WholeNumberField
from feedback.offers import services
from feedback.offers.models import MAX_ORDER_VALUE, Coupon, Offer
from feedback.tenancy import current_role, current_workspace, require_role, scope_blueprint
from feedback.touchpoints import services as touchpoint_services
from feedback.touchpoints.models import Touchpoint

bp = Blueprint("offers", __name__, url_prefix="/w/<ws>")
scope_blueprint(bp)

#: Redemption attempts per user: enough for a busy till, far too few to guess 50-bit codes.
REDEEM_LIMIT = "120 per minute"


class OfferForm(LocalisedForm):
    """An incentive on the thank-you page, optionally with a unique coupon per completed response."""

    name = StringField(
        _l("Name"), description=_l("For you, e.g. “Spring 10 %”."), validators=[DataRequired(), Length(max=80)]
    )
    texts = TextsField(_l("What respondents get"), max_length=300, multiline=True)
    touchpoint_id = SelectField(_l("For"), coerce=str)
    with_coupon = BooleanField(_l("A unique coupon code per completed survey"), default=True)
    valid_days = WholeNumberField(_l("Coupon valid for (days)"), validators=[Optional(), NumberRange(min=1, max=3650)])
    valid_until = DateField(_l("Offer ends on"), validators=[Optional(), DayInRange()])
    submit = SubmitField(_l("Save offer"))


class RedeemForm(LocalisedForm):
    """What the cashier types or scans."""

    code = StringField(_l("Coupon code"), validators=[DataRequired(), Length(max=40)])
    order_value = AmountField(
        _l("Order value"),
        validators=[
            DataRequired(),
            NumberRange(min=0, max=float(MAX_ORDER_VALUE), message=_l("Enter an order value between 0 and 1,000,000.")),
        ],
    )
    submit = SubmitField(_l("Redeem"))


def _touchpoint_choices(form: OfferForm, campaign_id: int) -> None:
    campaign = touchpoint_services.get_campaign(current_workspace().id, campaign_id)
    form.touchpoint_id.choices = [("", str(_l("Every touchpoint of the campaign")))] + [
        (str(t.id), t.name) for t in touchpoint_services.touchpoints_of(campaign)
    ]


def _data(form: OfferForm) -> services.OfferData:
    return services.OfferData(
        name=form.name.data or "",
        text=form.texts.data,
        touchpoint_id=int(form.touchpoint_id.data) if form.touchpoint_id.data else None,
        with_coupon=bool(form.with_coupon.data),
        valid_days=form.valid_days.data,
        valid_until=form.valid_until.data,
    )


@bp.route("/campaigns/<int:campaign_id>/offers", methods=["GET", "POST"])
def campaign_offers(campaign_id: int) -> Response | str:
    """The campaign's offers with coupons issued and redeemed; editors add one."""
    workspace = current_workspace()
    campaign = touchpoint_services.get_campaign(workspace.id, campaign_id)
    form = OfferForm()
    _touchpoint_choices(form, campaign.id)
    if request.method == "POST":
        require_role(Role.EDITOR)
        if form.validate_on_submit():
            try:
                services.create_offer(campaign, _data(form))
            except services.OfferError as error:
                db.session.rollback()
                form.name.errors = [str(error.message)]
            else:
                commit()
                flash(_("Offer saved. Respondents see it on the thank-you page from now on."), "success")
                return redirect(url_for("offers.campaign_offers", campaign_id=campaign.id))
    offers = services.offers_of(campaign)
    names = {t.id: t.name for t in touchpoint_services.touchpoints_of(campaign, include_archived=True)}
    html = render_template(
        "offers/offers.html",
        campaign=campaign,
        offers=offers,
        touchpoint_names=names,
        numbers=services.offer_numbers(workspace.id, [o.id for o in offers]),
        form=form,
        confirm_form=ConfirmForm(),
        can_edit=current_role().allows(Role.EDITOR),
    )
    return make_response(html, 422 if form.errors else 200)


@bp.route("/offers/<int:offer_id>/archive", methods=["POST"])
def archive_offer(offer_id: int) -> Response:
    """Stop (or with restore=1 restart) an offer; coupons already issued stay valid."""
    require_role(Role.EDITOR)
    offer = services.get_offer(current_workspace().id, offer_id)
    if ConfirmForm().validate_on_submit():
        restore, now = request.form.get("restore") == "1", utcnow()
        check_undo("offer.end", offer.id, now)
        services.set_archived(offer, not restore, now)
        commit()
        if restore:
            flash(_("Offer active again."), "success")
        else:
            ended = _("Offer ended: no new coupons are issued.")
            flash_with_undo(ended, "offer.end", offer.id, request.path, {"restore": "1"}, now)
    return redirect(url_for("offers.campaign_offers", campaign_id=offer.campaign_id))


@bp.route("/redeem", methods=["GET", "POST"])
@limiter.limit(REDEEM_LIMIT, key_func=lambda: f"redeem:{current_user.get_id()}", methods=["POST"])
def redeem() -> Response | str:
    """The cashier screen: type or scan a coupon, enter the order value, redeem once."""
    workspace = current_workspace()
    form = RedeemForm()
    redeemed: Coupon | None = None
    refused: str | None = None
    status = 200
    if request.method == "POST":
        require_role(Role.EDITOR)
        if form.validate_on_submit():
            try:
                redeemed = services.redeem(
                    workspace.id, form.code.data or "", form.order_value.data, utcnow(), "dashboard", current_user.id
                )
            except services.CouponRefused as error:
                db.session.rollback()
                refused, status = str(error.message), error.status
            else:
                commit()
                form = RedeemForm(formdata=None)
        else:
            status = 422
    details = _details(redeemed) if redeemed else None
    return make_response(
        render_template("offers/redeem.html", form=form, redeemed=redeemed, details=details, refused=refused), status
    )


def _details(coupon: Coupon) -> dict[str, object]:
    offer = db.session.get(Offer, coupon.offer_id)
    touchpoint = db.session.get(Touchpoint, coupon.touchpoint_id)
    return {
        "offer": offer.name if offer else "",
        "touchpoint": touchpoint.name if touchpoint else "",
        "code": services.display(coupon.code),
        "value": coupon.order_value,
    }
