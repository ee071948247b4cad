"""The demo programme's data, shaped like the final report in `../shared/sources/000_*`.

Twelve companies from the concrete sector start in three regions (Noord,
Midden, Zuid); a thirteenth is declined after an intake with too little
commitment. Two of the twelve withdraw during the dialogue sessions (one for
understaffing), and 8 of the 10 that stay take up follow-up ("borging").
Names, KvK numbers and people are made up; e-mail goes to `.example` domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROGRAMME_NAME = "Vanzelfsprekend Gezond en Veilig (demo)"
REGIONS = ("Noord", "Midden", "Zuid")
INTERVIEWER = "Fleur de Beheerder"
COMMITMENTS = ("director_attends_kickoff_and_closing", "staff_time_released", "managers_delegated",
               "internal_follow_up_owner")

PROGRAMME = {
    "name": PROGRAMME_NAME,
    "fund": "Sectorfonds Beton (demo)",
    "theme": "Dialoog over gezond, veilig en eerlijk werken",
    "regions": list(REGIONS),
    "planned_sessions": {"kick_off": 1, "dialogue": 9, "intervision": 6, "workshop": 2},
    "max_delegates_per_company": 4,
    "teaser_question": "Wanneer bracht u uzelf of een collega in gevaar, en wat leerde u daarvan?",
    "reminder_hours_before": 48,
    "follow_up_info": "Na de sessies helpen we u met borging: wekelijkse whiteboard-meetings, maandelijkse "
                      "intervisie met uw eigen team en handvatten om het hele leidinggevend kader mee te nemen.",
}
# The rules a coordinator works with; the loader allows 1-minute sessions while it holds the "past"
# sessions (the API schedules only in the future) and puts these back afterwards.
SESSION_RULES = {"min_duration_minutes": 60, "max_duration_minutes": 210, "online_facilitators": 2}
LOADING_RULES = {**SESSION_RULES, "min_duration_minutes": 1}


@dataclass(frozen=True)
class Delegate:
    name: str
    job_level: str  # manager, supervisor, foreman, employee, other


@dataclass(frozen=True)
class Company:
    key: str
    name: str
    kvk: str
    region: str
    street: str
    postal_code: str
    city: str
    size: str
    director: str
    director_role: str  # director / director_owner
    delegates: tuple[Delegate, ...]
    level: int = 4  # assessed commitment at the intake (the rule asks for 3)
    declined: bool = False
    withdrawal: tuple[str, str] | None = None  # (reason_code, reason_text)
    follow_up: tuple[tuple[str, str, str], ...] = ()  # (activity, adoption level, description)

    @property
    def domain(self) -> str:
        return "".join(ch for ch in self.key if ch.isalnum()) + ".example"


def _d(*people: tuple[str, str]) -> tuple[Delegate, ...]:
    return tuple(Delegate(name, level) for name, level in people)


M, F, S = "manager", "foreman", "supervisor"
WB = ("whiteboard_meetings", "structural", "Wekelijkse whiteboard-meeting op de werkvloer met de ploegleiders.")
OI = ("own_intervision", "structural", "Maandelijkse intervisie met de eigen teams, begeleid door een deelnemer.")
RO = ("rollout_all_managers", "structural", "Voornemen om de cursus voor het hele leidinggevend kader te organiseren.")
ID = ("internal_dialogues", "occasional", "Een aantal keren per jaar een interne dialoog over veilig werken.")
NONE = ("other", "none", "Nog geen vervolg: de waan van de dag kreeg voorrang.")

COMPANIES: tuple[Company, ...] = (
    Company("vanderveen", "Van der Veen Prefab Beton B.V.", "01084417", "Noord", "Industrieweg 12", "9403 AB",
            "Assen", "medium", "Gerrit van der Veen", "director_owner",
            _d(("Jan Bouma", M), ("Sietske Dijkstra", M), ("Klaas Post", F)), follow_up=(WB, OI)),
    Company("friesland", "Betoncentrale Friesland B.V.", "01093452", "Noord", "Celsiusweg 8", "8912 AM",
            "Leeuwarden", "small", "Anneke Hoekstra", "director",
            _d(("Wiebe de Jong", M), ("Froukje Visser", M)), follow_up=(ID,)),
    Company("drachten", "Hoekstra Betonwaren B.V.", "01102386", "Noord", "De Knolle 4", "9206 AN", "Drachten",
            "small", "Sjoerd Hoekstra", "director_owner", _d(("Tjeerd Wijnsma", M), ("Hylke Zijlstra", F)),
            follow_up=(NONE,)),
    Company("emmen", "Bouwstoffen Noord B.V.", "04071559", "Noord", "Phileas Foggstraat 30", "7821 AK", "Emmen",
            "small", "Harm Lubbers", "director", _d(("Roelof Kuiper", M), ("Bert Nijboer", M), ("Henk Oosting", F)),
            withdrawal=("understaffing", "Door onderbezetting kan het bedrijf geen mensen vrijmaken voor de "
                                         "intervisiesessies.")),
    Company("dewit", "De Wit Betonindustrie B.V.", "30112874", "Midden", "Ravenswade 54", "3439 LD", "Nieuwegein",
            "large", "Marianne de Wit", "director", _d(("Erik van Dam", M), ("Linda Verbeek", M), ("Kees Brouwer", M)),
            follow_up=(RO, WB)),
    Company("vallei", "Betonfabriek Gelderse Vallei B.V.", "09156230", "Midden", "Harselaarseweg 20", "3771 MA",
            "Barneveld", "medium", "Wim van de Kamp", "director_owner", _d(("Arjen Schouten", M), ("Ilse Mulder", S)),
            follow_up=(OI,)),
    Company("apeldoorn", "Mulder Prefab B.V.", "08143391", "Midden", "Ijsselstraat 3", "7332 BA", "Apeldoorn",
            "medium", "Joost Mulder", "director", _d(("Ramon Peters", M), ("Dirk Veenstra", F)), follow_up=(NONE,)),
    Company("vanleeuwen", "Van Leeuwen Betonmortel B.V.", "30209947", "Midden", "Laagraven 22", "3439 LG",
            "Nieuwegein", "medium", "Pieter van Leeuwen", "director", _d(("Saskia Hermans", M), ("Tom Jacobs", M),
                                                                          ("Gijs Kramer", M)),
            follow_up=(ID, WB)),
    Company("kuipers", "Kuipers Bouwelementen B.V.", "32127705", "Midden", "Nijverheidsweg-Noord 88", "3812 PM",
            "Amersfoort", "small", "Ron Kuipers", "director_owner", (), level=2, declined=True),
    Company("brabant", "Brabantse Betonwerken B.V.", "18064428", "Zuid", "Kraaivenstraat 19", "5048 AB",
            "Tilburg", "large", "Monique van Gils", "director", _d(("Bas Verhoeven", M), ("Yvonne Smits", M),
                                                                   ("Luuk van Hout", F)),
            follow_up=(WB, RO)),
    Company("limburg", "Limburgse Betonwaren B.V.", "14083316", "Zuid", "Mijnweg 7", "6041 KK", "Roermond",
            "medium", "Frans Janssen", "director_owner", _d(("Maikel Hermans", M), ("Noud Crijns", M)),
            follow_up=(OI, ID)),
    Company("oss", "Verhoeven Betonproducten B.V.", "16049821", "Zuid", "Vorstengrafdonk 41", "5342 LT", "Oss",
            "small", "Karin Verhoeven", "director", _d(("Stijn van der Heijden", M), ("Jeroen Bakker", M)),
            follow_up=(ID,)),
    Company("goes", "Zeeuwse Betoncentrale B.V.", "22037716", "Zuid", "Nijverheidsweg 15", "4462 GV", "Goes",
            "small", "Cor Minderhoud", "director_owner", _d(("Adrie de Koning", M), ("Marco Wisse", F)),
            withdrawal=("no_director_support", "De directie toonde te weinig belangstelling in de voortgang; de "
                                               "deelnemers stopten na de dialoogsessies.")),
)

# Fund staff in notifications' directory. Facilitator ids are the subjects of their tokens: the first is
# the Keycloak demo user `begeleider`; the others have no account (they run sessions in the demo only).
FACILITATORS = {
    "bram": ("0b6a3c4e-0000-4000-8000-000000000005", "Bram Smit", "begeleider@progadmin.local"),
    "ingrid": ("0b6a3c4e-0000-4000-8000-000000000105", "Ingrid Bos", "ingrid.bos@begeleiding.example"),
    "peter": ("0b6a3c4e-0000-4000-8000-000000000106", "Peter van Dijk", "peter.vandijk@begeleiding.example"),
    "marloes": ("0b6a3c4e-0000-4000-8000-000000000107", "Marloes de Graaf", "marloes.degraaf@begeleiding.example"),
    "hans": ("0b6a3c4e-0000-4000-8000-000000000108", "Hans Kok", "hans.kok@begeleiding.example"),
    "sanne": ("0b6a3c4e-0000-4000-8000-000000000109", "Sanne Willems", "sanne.willems@begeleiding.example"),
    "ruud": ("0b6a3c4e-0000-4000-8000-000000000110", "Ruud Hendriks", "ruud.hendriks@begeleiding.example"),
}
# The Keycloak demo coordinators (deploy/keycloak/realm.json): id, name, e-mail, region.
COORDINATORS = (
    ("0b6a3c4e-0000-4000-8000-000000000002", "Noor Jansen", "coordinator-noord@progadmin.local", "Noord"),
    ("0b6a3c4e-0000-4000-8000-000000000003", "Mees Bakker", "coordinator-midden@progadmin.local", "Midden"),
    ("0b6a3c4e-0000-4000-8000-000000000004", "Zoë Visser", "coordinator-zuid@progadmin.local", "Zuid"),
)

VENUES = {
    "Noord": "Van der Valk Hotel Assen, Balkenweg 1, 9405 CC Assen",
    "Midden": "Vergadercentrum Nieuwegein, Laagraven 60, 3439 LG Nieuwegein",
    "Zuid": "Congrescentrum Tilburg, Ringbaan-Noord 200, 5046 AA Tilburg",
}
TEAMS = "https://teams.microsoft.com/l/meetup-join/demo-progadmin-{key}"


@dataclass(frozen=True)
class Plan:
    """A session. `slot` (minutes after the start of the held block) for sessions held during loading;
    `days_ahead` for the ones still to come. `who` picks the invited delegates, `register` how many take a place."""

    key: str
    type: str
    region: str
    format: str
    facilitators: tuple[str, ...]
    capacity: tuple[int, int]
    who: str  # all / region / intervision1 / intervision2 / managers_region / managers / stayed
    slot: int | None = None
    days_ahead: int | None = None
    at: str = "19:00"
    duration: int = 180
    working_method: str | None = None
    host: str | None = None  # company key of an on-site session
    sequence: int | None = None
    register: int | None = None  # None: everyone invited
    late_cancels: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def _dialogues() -> list[Plan]:
    methods = ("keukentafelgesprek", "incidentmethode", "liefdevol roddelen")
    who = {"Noord": ("peter", "peter", "bram"), "Midden": ("marloes", "marloes", "ingrid"),
           "Zuid": ("hans", "hans", "sanne")}
    return [Plan(f"dialogue-{region.lower()}-{n}", "dialogue", region, "regional_venue", (who[region][n - 1],),
                 (8, 12), "region", slot=0 if n == 1 else 1, working_method=methods[n - 1], sequence=n,
                 late_cancels=1 if (region, n) == ("Zuid", 2) else 0)
            for region in REGIONS for n in (1, 2, 3)]


HOSTS = {"Noord": "vanderveen", "Midden": "dewit", "Zuid": "brabant"}
PLANS: tuple[Plan, ...] = (
    Plan("kick-off", "kick_off", "Midden", "regional_venue", ("bram", "ingrid"), (10, 40), "all", slot=0,
         working_method="Theory U: vier niveaus van luisteren", late_cancels=2),
    *_dialogues(),
    Plan("intervision-noord-1", "intervision", "Noord", "on_site", ("peter",), (3, 8), "intervision1", slot=2,
         working_method="incidentmethode", host="vanderveen", sequence=1),
    Plan("intervision-noord-2", "intervision", "Noord", "online", ("bram", "ingrid"), (3, 8), "intervision2", slot=2,
         working_method="incidentmethode", sequence=2),
    Plan("intervision-midden-1", "intervision", "Midden", "online", ("marloes", "ruud"), (3, 8), "intervision1",
         slot=2, working_method="liefdevol roddelen", sequence=1),
    Plan("intervision-midden-2", "intervision", "Midden", "on_site", ("sanne",), (3, 8), "intervision2", slot=2,
         working_method="keukentafelgesprek", host="dewit", sequence=2),
    Plan("intervision-zuid-1", "intervision", "Zuid", "on_site", ("hans",), (3, 8), "intervision1", slot=2,
         working_method="incidentmethode", host="brabant", sequence=1),
    Plan("intervision-zuid-2", "intervision", "Zuid", "on_site", ("hans",), (3, 8), "intervision2", slot=3,
         working_method="keukentafelgesprek", host="limburg", sequence=2),
    Plan("workshop-stijlen", "workshop", "Midden", "regional_venue", ("marloes",), (6, 12), "managers_region", slot=3,
         working_method="beïnvloedingsstijlen (Hersey en Blanchard)"),
    # Still to come: a "skills booster" in Teams (full: one person on the waiting list) and the closing.
    Plan("workshop-online", "workshop", "Midden", "online", ("bram", "ingrid"), (4, 8), "managers", days_ahead=14,
         at="15:00", duration=120, working_method="skills booster: oefenen met aanspreken", register=9),
    Plan("closing", "closing", "Midden", "regional_venue", ("bram", "marloes"), (10, 40), "stayed", days_ahead=35,
         at="14:00", duration=180, working_method="terugblik en borging", register=14),
)

# Scores out of 10: this cycle averages 7.6, as in the final report.
SCORES = (8, 7, 8, 9, 7, 6, 8, 7, 8, 8)
COMMENTS = (
    "Veel geleerd over luisteren zonder meteen te oordelen.",
    "Goede sfeer; het voelde veilig om eigen dilemma's in te brengen.",
    "Praktisch en herkenbaar. Graag meer tijd voor oefenen.",
    "De kleinere groep werkte beter dan de grote zaal.",
    "Sterke begeleiding, maar het tempo lag soms hoog.",
)


def attendance_for(index: int, salt: int) -> str:
    """Most attend; now and then a no-show or someone excused (deterministic, so reruns give the same picture)."""
    n = (index * 7 + salt * 3) % 23
    return "no_show" if n in (5, 17) else "excused" if n == 11 else "attended"
